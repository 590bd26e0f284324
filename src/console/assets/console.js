// The console's own script: small behaviours htmx does not cover. Loaded as a file (the CSP forbids inline
// scripts). Each page works without it; it only adds live checks and focus handling.
(function () {
  'use strict';
  // After htmx swaps an error into #alerts, move focus there so keyboard and screen-reader users hear it.
  document.addEventListener('htmx:afterSwap', function (e) {
    if (e.detail && e.detail.target && e.detail.target.id === 'alerts' && e.detail.target.firstElementChild) {
      e.detail.target.setAttribute('tabindex', '-1');
      e.detail.target.focus();
    }
  });
  window.doudi = window.doudi || {};
})();
