// 入户普查 form: live checks while typing. A convenience only: the engine checks everything again on save.
// - ID number (GB 11643): check character by ISO 7064 MOD 11-2, the birth date and sex inside it (filled in
//   when empty, a mismatch flagged).
// - Self-care level from the six items: the table in data-levels is rendered by the server from the
//   machine's own rule (machines/screening.ts selfCareLevel), indexed by the number of items not managed alone.
// - Removing a member row; focus on a newly added row and on the error summary.
(function () {
  'use strict';
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = '10X98765432';

  function checkId(raw) {
    var id = String(raw || '').trim().toUpperCase();
    if (id.length === 0) return { state: 'empty' };
    if (id.length < 18 && /^\d*$/.test(id)) return { state: 'typing', text: '已输入 ' + id.length + ' 位，共 18 位' };
    if (!/^\d{17}[\dX]$/.test(id)) return { state: 'bad', text: '身份证号应为 18 位：17 位数字加 1 位数字或 X' };
    var y = +id.slice(6, 10), m = +id.slice(10, 12), d = +id.slice(12, 14);
    var dt = new Date(Date.UTC(y, m - 1, d));
    if (y < 1900 || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return { state: 'bad', text: '身份证号中的出生日期（第 7～14 位）不是有效日期' };
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(id[i]) * WEIGHTS[i];
    if (CHECK[sum % 11] !== id[17]) return { state: 'bad', text: '校验位不正确，号码可能输错了' };
    return { state: 'ok', birthDate: id.slice(6, 10) + '-' + id.slice(10, 12) + '-' + id.slice(12, 14), sex: Number(id[16]) % 2 === 1 ? 'male' : 'female', y: y, m: m, d: d };
  }

  function say(p, text, tone) {
    if (!p) return;
    p.textContent = text || '';
    p.classList.toggle('ok', tone === 'ok');
    p.classList.toggle('bad', tone === 'bad');
  }

  function updateId(member, fill) {
    var input = member.querySelector('.id-number');
    if (!input) return;
    var live = document.getElementById(input.id + '-live');
    var birth = member.querySelector('.birth-date');
    var sex = member.querySelector('.sex');
    var r = checkId(input.value);
    if (r.state === 'empty') return say(live, '', '');
    if (r.state === 'typing') return say(live, r.text, '');
    if (r.state === 'bad') return say(live, r.text, 'bad');
    if (fill && birth && !birth.value) birth.value = r.birthDate;
    if (fill && sex && !sex.value) sex.value = r.sex;
    var problems = [];
    if (birth && birth.value && birth.value !== r.birthDate) problems.push('出生日期与身份证号不一致（号码中为 ' + r.y + '年' + r.m + '月' + r.d + '日）');
    if (sex && sex.value && sex.value !== r.sex) problems.push('性别与身份证号不一致（号码显示为' + (r.sex === 'male' ? '男' : '女') + '性）');
    if (problems.length) return say(live, problems.join('；'), 'bad');
    say(live, '号码有效：' + r.y + '年' + r.m + '月' + r.d + '日出生，' + (r.sex === 'male' ? '男' : '女'), 'ok');
  }

  function updateSelfCare(box) {
    var levels = (box.getAttribute('data-levels') || '').split('|');
    var assessed = box.querySelector('.selfcare-assessed');
    var items = box.querySelectorAll('.selfcare-items input[type=checkbox]');
    var out = box.querySelector('.selfcare-level');
    var on = !assessed || assessed.checked;
    var unmet = 0;
    for (var i = 0; i < items.length; i++) {
      items[i].disabled = !on;
      if (!items[i].checked) unmet++;
    }
    if (!out) return;
    if (!on) { say(out, '自理能力：未评估', ''); return; }
    say(out, '自理能力：' + (levels[unmet] || ''), unmet === 0 ? 'ok' : 'bad');
  }

  function renumber() {
    var rows = document.querySelectorAll('#members .member');
    for (var i = 0; i < rows.length; i++) {
      var no = rows[i].querySelector('.member-no');
      if (no) no.textContent = String(i + 1);
    }
  }

  function init(root) {
    var members = root.querySelectorAll ? root.querySelectorAll('.member') : [];
    if (root.classList && root.classList.contains('member')) members = [root];
    for (var i = 0; i < members.length; i++) {
      updateId(members[i], false);
      var box = members[i].querySelector('.selfcare');
      if (box) updateSelfCare(box);
    }
  }

  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t.classList && t.classList.contains('id-number')) updateId(t.closest('.member'), true);
  });
  document.addEventListener('change', function (e) {
    var t = e.target;
    var member = t.closest && t.closest('.member');
    if (!member) return;
    if (t.classList.contains('birth-date') || t.classList.contains('sex') || t.classList.contains('id-number')) updateId(member, t.classList.contains('id-number'));
    var box = t.closest('.selfcare');
    if (box) updateSelfCare(box);
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!t.classList || !t.classList.contains('remove-member')) return;
    var rows = document.querySelectorAll('#members .member');
    var member = t.closest('.member');
    if (rows.length <= 1) {
      window.alert('一户至少要有 1 名家庭成员。');
      return;
    }
    var next = member.nextElementSibling || member.previousElementSibling;
    member.remove();
    renumber();
    var focus = (next && next.querySelector('legend')) || document.getElementById('add-member');
    if (focus) { focus.setAttribute('tabindex', '-1'); focus.focus(); }
  });
  // A member row added by htmx: checks on, focus on its first field.
  document.addEventListener('htmx:afterSwap', function (e) {
    if (!e.detail || !e.detail.target || e.detail.target.id !== 'members') return;
    var rows = e.detail.target.querySelectorAll('.member');
    var added = rows[rows.length - 1];
    if (!added) return;
    init(added);
    renumber();
    var first = added.querySelector('input:not([type=hidden])');
    if (first) first.focus();
  });
  function start() {
    init(document);
    var errs = document.getElementById('form-errors');
    if (errs) errs.focus();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
