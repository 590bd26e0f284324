// 记录回访: move focus to the error summary when the form comes back with problems.
(function () {
  'use strict';
  function start() {
    var errs = document.getElementById('form-errors');
    if (errs) errs.focus();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
