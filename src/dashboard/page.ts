// Long because: the page script is one string of browser JavaScript (small functions inside a template literal the length scanner reads as one).
import { inlineLibraries } from '../report/html.js';
import { setPointsFrom } from './protocol.js';

/**
 * The dashboard's one page: the report's charts (their configurations come from the server,
 * built by src/report/) drawn with the Chart.js and annotation plugin report.html inlines, and
 * the panel's words laid out as they come. No framework: it loads the snapshot, follows the
 * updates on a WebSocket, and applies each with setPointsFrom's own source (protocol.ts), so
 * that it holds the points the server holds. Everything from the run is set as text, never as
 * markup.
 */
export function renderPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>codestorm live</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1240px;padding:0 16px 48px;color:#222;background:#fff}
header{padding:10px 16px;margin:14px 0 10px;border-radius:6px;background:#eef3fb}header.pass{background:#e8f5e9}header.fail,header.error{background:#fdecea}
h1{margin:0;font-size:21px;display:inline}#state{margin-left:10px;padding:1px 8px;border-radius:10px;background:#1f77b4;color:#fff;font-size:12px;vertical-align:3px}
header.pass #state{background:#1b7f2a}header.fail #state,header.error #state{background:#c62828}#clock{float:right;color:#555}
.meta{margin:3px 0 0;color:#555}h2{font-size:15px;margin:18px 0 6px}
#end{padding:10px 16px;border-radius:6px;margin:8px 0;font-size:15px}#end.pass{background:#e8f5e9}#end.fail,#end.error{background:#fdecea}#end.done{background:#eef3fb}
#figures{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}.figure{border:1px solid #e3e3e3;border-radius:6px;padding:6px 10px;min-width:130px}.figure b{display:block;font-size:16px}.figure span{color:#555;font-size:12px}
#notes li{margin:2px 0}#tables{display:flex;flex-wrap:wrap;gap:0 24px}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f6f6f6}
.ok{color:#1b7f2a}.bad{color:#c62828;font-weight:600}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:10px;margin-top:12px}.chart{border:1px solid #eee;border-radius:6px;padding:6px}canvas{max-width:100%}
</style></head><body>
<header id="head"><h1 id="title">codestorm</h1><span id="state">connecting</span><span id="clock"></span><p class="meta" id="meta"></p></header>
<div id="end" hidden></div>
<div id="figures"></div>
<ul id="notes"></ul>
<div id="tables"></div>
<div id="charts"></div>
<script>${setPointsFrom.toString()}</script>
${inlineLibraries()}
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

const PAGE_SCRIPT = String.raw`
(function () {
  var plugin = window['chartjs-plugin-annotation'];
  if (plugin) Chart.register(plugin);
  var charts = {};
  var chosen = {};
  var seq = null;
  var queued = [];
  var socket = null;
  var ended = false;
  // A chart keeps its points but draws them only while it can be seen: not in a tab in the
  // background, not scrolled out of view. It catches up when it is shown again.
  var onScreen = {};
  var stale = {};
  function draw(id) {
    if (document.hidden || !onScreen[id]) { stale[id] = true; return; }
    stale[id] = false;
    charts[id].update('none');
  }
  // The panel (figures, notes, tables) is rebuilt from each update: a tab in the background keeps
  // only the latest, and builds it when it is shown.
  var pendingPanel = null;
  function panel(p) {
    if (p.end) ended = true;
    if (document.hidden) { pendingPanel = p; return; }
    pendingPanel = null;
    showPanel(p);
  }
  function catchUp() {
    if (!document.hidden && pendingPanel) panel(pendingPanel);
    Object.keys(charts).forEach(function (id) { if (stale[id]) draw(id); });
  }
  var watcher = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { onScreen[e.target.getAttribute('data-chart')] = e.isIntersecting; });
    catchUp();
  });
  document.addEventListener('visibilitychange', catchUp);

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function load() {
    seq = null;
    fetch('/snapshot', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (snap) {
        drawCharts(snap.charts);
        panel(snap.panel);
        seq = snap.seq;
        var waiting = queued;
        queued = [];
        waiting.forEach(apply);
        document.body.setAttribute('data-seq', String(seq));
      })
      .catch(function () { setTimeout(load, 1000); });
  }

  function apply(u) {
    if (seq === null) { queued.push(u); return; }
    if (u.seq <= seq) return;
    if (u.seq !== seq + 1 || u.reload) { load(); return; }
    if (u.charts) drawCharts(u.charts);
    var ids = Object.keys(charts);
    ids.forEach(function (id) {
      var chart = charts[id];
      if (u.points) setPointsFrom(chart.data, u.points.from, u.points.labels, u.points.values[id] || []);
      if (u.annotations && chart.options.plugins && chart.options.plugins.annotation) chart.options.plugins.annotation.annotations = JSON.parse(JSON.stringify(u.annotations));
      if (u.points || u.annotations) draw(id);
    });
    if (u.panel) panel(u.panel);
    seq = u.seq;
    document.body.setAttribute('data-seq', String(seq));
  }

  function drawCharts(specs) {
    Object.keys(charts).forEach(function (id) { charts[id].destroy(); });
    charts = {};
    watcher.disconnect();
    var box = document.getElementById('charts');
    box.textContent = '';
    specs.forEach(function (spec) {
      var div = el('div', null, 'chart');
      div.setAttribute('data-chart', spec.id);
      watcher.observe(div);
      var canvas = el('canvas');
      canvas.id = 'chart-' + spec.id;
      canvas.width = 600;
      canvas.height = 300;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', spec.title);
      if (spec.groups && spec.groups.length > 0) div.appendChild(menu(spec));
      div.appendChild(canvas);
      box.appendChild(div);
      charts[spec.id] = new Chart(canvas.getContext('2d'), spec.config);
      if (spec.groups && chosen[spec.id]) show(spec.id, chosen[spec.id]);
    });
    document.body.setAttribute('data-charts', String(specs.length));
  }

  // One request name at a time, as report.html does: a menu above the chart chooses which.
  function menu(spec) {
    var select = el('select');
    select.id = 'choose-' + spec.id;
    spec.groups.forEach(function (g) {
      var option = el('option', g);
      option.value = g;
      if (chosen[spec.id] === g) option.selected = true;
      select.appendChild(option);
    });
    select.addEventListener('change', function () { chosen[spec.id] = select.value; show(spec.id, select.value); });
    return select;
  }

  function show(id, group) {
    var chart = charts[id];
    chart.data.datasets.forEach(function (d) { d.hidden = d.group !== group; });
    chart.update('none');
  }

  function showPanel(p) {
    document.title = 'codestorm live: ' + p.title;
    document.getElementById('title').textContent = p.title;
    var head = document.getElementById('head');
    var verdict = p.end ? p.end.verdict : p.state;
    head.className = verdict;
    document.getElementById('state').textContent = p.end ? p.end.verdict.toUpperCase() : p.state;
    document.getElementById('clock').textContent = p.clock;
    document.getElementById('meta').textContent = p.meta;
    document.body.setAttribute('data-state', verdict);
    var figures = document.getElementById('figures');
    figures.textContent = '';
    p.figures.forEach(function (f) {
      var div = el('div', null, 'figure');
      div.appendChild(el('b', f.value));
      div.appendChild(el('span', f.label));
      figures.appendChild(div);
    });
    var notes = document.getElementById('notes');
    notes.textContent = '';
    p.notes.forEach(function (n) { notes.appendChild(el('li', n)); });
    var tables = document.getElementById('tables');
    tables.textContent = '';
    p.tables.forEach(function (t) {
      var section = el('section');
      section.id = t.id;
      section.appendChild(el('h2', t.title));
      var table = el('table');
      var tr = el('tr');
      t.head.forEach(function (h) { tr.appendChild(el('th', h)); });
      table.appendChild(tr);
      t.rows.forEach(function (r) {
        var row = el('tr');
        r.cells.forEach(function (c, i) { row.appendChild(el('td', c, r.marks ? r.marks[i] : '')); });
        table.appendChild(row);
      });
      section.appendChild(table);
      tables.appendChild(section);
    });
    if (p.end) showEnd(p.end);
  }

  function showEnd(end) {
    var box = document.getElementById('end');
    box.hidden = false;
    box.className = end.verdict;
    box.textContent = '';
    box.appendChild(el('strong', end.verdict.toUpperCase()));
    box.appendChild(document.createTextNode(' ' + end.headline + ' '));
    if (end.report) {
      var a = el('a', 'the report');
      a.id = 'report-link';
      a.href = end.report;
      a.target = '_blank';
      box.appendChild(a);
    }
    box.appendChild(el('div', 'run directory: ' + end.dir, 'meta'));
    // The run is over: nothing more will come, and the server closes after its linger.
    ended = true;
    if (socket) socket.close();
  }

  // The snapshot at once, then the updates; after a lost connection, the snapshot again.
  var opened = false;
  function follow() {
    socket = new WebSocket('ws://' + location.host + '/live');
    socket.onmessage = function (e) { apply(JSON.parse(e.data)); };
    socket.onopen = function () {
      if (opened && !ended) load();
      opened = true;
    };
    socket.onclose = function () { if (!ended) setTimeout(follow, 1000); };
  }
  follow();
  load();
})();
`;
