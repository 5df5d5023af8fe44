/**
 * The console's only stylesheet and script, served by the daemon from /console/assets/ (the CSP
 * allows nothing else: no inline script or style, nothing from the network, no build step). The
 * script only enhances: copy buttons and the bulk-selection count; every action works without it.
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f5f7}
a{color:#2f3da8}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between;padding:.75rem 1.25rem;background:#fff;border-bottom:1px solid #d0d4db}
header.top .brand{font-weight:700;color:#2f3da8;margin:0}
header.top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}
header.top nav a{display:inline-block;white-space:nowrap;padding:.3rem 0}
header.top nav a[aria-current=page]{font-weight:700;text-decoration-thickness:2px}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}
section.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1rem 1.25rem;margin:0 0 1rem}
h1{font-size:1.45rem;margin:.25rem 0 .75rem}
h2{font-size:1.15rem;margin:0 0 .75rem}
p{margin:.4rem 0}
.muted{color:#4d535c;font-size:.9rem}
.notice{border-left:4px solid #2f7d32;background:#eef7ee;padding:.6rem .9rem;margin:0 0 1rem;border-radius:4px}
.notice.error{border-color:#b3261e;background:#fdeeee}
progress{width:100%;max-width:28rem;height:1rem}
form.inline{display:inline-flex;gap:.35rem;align-items:center;margin:0}
form.filters,form.invite,div.field-row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}
form.stacked{display:flex;flex-direction:column;align-items:flex-start;gap:.5rem;margin:0 0 .75rem}
label{display:flex;flex-direction:column;font-size:.85rem;font-weight:600;gap:.2rem}
input,select,button{font:inherit;min-height:36px}
input[type=text],input[type=email],input[type=search],input[type=url],input[type=number],input[type=date],select{padding:.3rem .5rem;border:1px solid #767b84;border-radius:6px;background:#fff;color:#1a1a1a}
input[readonly]{width:100%;max-width:40rem}
button{white-space:nowrap;padding:.35rem .8rem;border-radius:6px;border:1px solid #2f3da8;background:#2f3da8;color:#fff;font-weight:600;cursor:pointer}
button.secondary{background:#fff;color:#2f3da8}
button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
button:disabled{opacity:.6;cursor:not-allowed}
button+a{margin-left:.75rem;display:inline-block;padding:.35rem 0}
:focus-visible{outline:3px solid #2f3da8;outline-offset:2px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid #e2e5ea;vertical-align:top}
th{font-size:.85rem;color:#3a3f47}
td .actions{display:flex;flex-wrap:wrap;gap:.35rem}
.status-active{color:#1e6b22;font-weight:600}
.status-inactive{color:#8a5300;font-weight:600}
.status-removed{color:#4d535c}
.locked{font-size:.85rem;color:#4d535c;max-width:22rem}
.pager{display:flex;gap:1rem;margin-top:.75rem}
.field{display:flex;flex-direction:column;gap:.2rem;margin:0 0 .9rem;max-width:44rem}
.field.check{display:grid;grid-template-columns:auto 1fr;column-gap:.5rem;align-items:center}
.field.check .help{grid-column:2}
.field textarea{font:inherit;font-family:ui-monospace,monospace;font-size:.85rem;padding:.3rem .5rem;border:1px solid #767b84;border-radius:6px;width:100%}
.field input[type=password],.field input[type=text]{width:100%}
.field input[type=number]{width:10rem}
.help{color:#4d535c;font-size:.85rem;margin:0}
.field-error{color:#b3261e;font-weight:600;font-size:.9rem;margin:0}
[aria-invalid=true]{border-color:#b3261e!important;border-width:2px!important}
details{margin:0 0 .9rem}
summary{cursor:pointer;font-weight:600;margin:0 0 .6rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 .75rem}
dl.facts dt{font-weight:600;color:#3a3f47}
dl.facts dd{margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
ul.choices{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0}
ul.choices a{display:inline-block;padding:.6rem 1rem;border:1px solid #2f3da8;border-radius:8px;font-weight:600;text-decoration:none}
ul.providers{list-style:none;padding:0;display:flex;flex-direction:column;gap:.6rem;max-width:20rem}
ul.providers a{display:block;text-align:center;padding:.55rem .8rem;border:1px solid #2f3da8;border-radius:6px;font-weight:600;text-decoration:none}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f5f7;border:1px solid #e2e5ea;border-radius:6px;padding:.5rem;font-size:.8rem;max-height:20rem;overflow:auto}
ol.steps li{margin:.3rem 0}
.ok{color:#1e6b22;font-weight:600}
.bad{color:#b3261e;font-weight:600}
code{word-break:break-all}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);border:0}
@media (max-width:48rem){
  header.top{padding:.6rem .75rem;gap:.5rem}
  header.top nav{order:3;flex-basis:100%}
  header.top nav ul{gap:.4rem}
  header.top nav a{padding:.5rem .8rem;border:1px solid #c5cae0;border-radius:999px;text-decoration:none;line-height:1.2}
  header.top nav a[aria-current=page]{background:#2f3da8;border-color:#2f3da8;color:#fff}
  table,thead,tbody,tr,th,td{display:block}
  thead{position:absolute;left:-9999px}
  tr{border:1px solid #e2e5ea;border-radius:8px;margin:0 0 .75rem;padding:.5rem}
  td{border:0;padding:.2rem 0}
  td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#3a3f47}
}
`;

export const CONSOLE_JS = `'use strict';
// idsync console: progressive enhancement only; every action also works without this script.
(function () {
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var input = document.getElementById(button.getAttribute('data-copy'));
      var status = document.getElementById(button.getAttribute('data-status'));
      if (!input) return;
      var say = function (text) { if (status) status.textContent = text; };
      var done = button.getAttribute('data-copied') || 'Link copied to the clipboard.';
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(function () { say(done); }, function () { input.select(); say('Press Ctrl+C (or Cmd+C) to copy the selected link.'); });
      } else {
        input.select();
        say('Press Ctrl+C (or Cmd+C) to copy the selected link.');
      }
    });
  });
  var bulk = document.getElementById('bulk-remove');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"]'));
  var all = document.getElementById('select-all');
  function update() {
    if (!bulk) return;
    var n = boxes.filter(function (b) { return b.checked; }).length;
    bulk.textContent = n ? 'Remove selected (' + n + ')' : 'Remove selected';
    bulk.disabled = n === 0;
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }
  boxes.forEach(function (b) { b.addEventListener('change', update); });
  if (all) {
    all.hidden = false;
    all.addEventListener('change', function () { boxes.forEach(function (b) { b.checked = all.checked; }); update(); });
  }
  update();
  // A page showing work in progress (data-refresh-seconds) reloads itself until the work is done;
  // not while a form field has focus, so typing is never lost. Without the script, a Refresh link does it.
  var refresh = document.querySelector('[data-refresh-seconds]');
  if (refresh) {
    var every = Math.max(1, Number(refresh.getAttribute('data-refresh-seconds')) || 2) * 1000;
    var tick = function () {
      var f = document.activeElement;
      if (f && /^(INPUT|SELECT|TEXTAREA)$/.test(f.tagName)) { setTimeout(tick, every); return; }
      location.reload();
    };
    setTimeout(tick, every);
  }
})();
`;
