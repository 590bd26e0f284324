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
  // 通知: a notification marked read in place sends its new unread count (HX-Trigger doudi:unread); the menu follows.
  document.addEventListener('doudi:unread', function (e) {
    var link = document.querySelector('.top a.notif');
    if (!link || !e.detail) return;
    var n = Number(e.detail.count) || 0;
    var badge = link.querySelector('.count');
    if (n === 0) {
      if (badge) badge.remove();
      link.removeAttribute('aria-label');
      return;
    }
    if (!badge) {
      badge = document.createElement('span');
      badge.className = 'count';
      link.appendChild(document.createTextNode(' '));
      link.appendChild(badge);
    }
    badge.textContent = String(n);
    link.setAttribute('aria-label', '通知（' + n + ' 条未读）');
  });
  window.doudi = window.doudi || {};
})();
