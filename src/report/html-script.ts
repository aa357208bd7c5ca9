/**
 * The HTML report's behaviour, inlined in its <script>: filters hide columns (client, server) and rows
 * (scenario); a cell opens the details panel, built from the JSON block with textContent only. Plain
 * ES2017, no `${` or backticks.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var records = JSON.parse(document.getElementById('wireprobe-data').textContent);
  var byId = function (id) { return document.getElementById(id); };
  var filters = { client: byId('filter-client'), server: byId('filter-server'), fault: byId('filter-fault') };
  var panel = byId('details');

  function columnShown(el) {
    var client = filters.client.value, server = filters.server.value;
    return (!client || el.dataset.client === client) && (!server || el.dataset.server === server);
  }

  /** Hides non-matching columns and rows, server groups left empty, and matrices left empty. */
  function applyFilters() {
    var scenario = filters.fault.value, anyShown = false;
    document.querySelectorAll('section.matrix').forEach(function (section) {
      section.querySelectorAll('th.col, td.cell, td.empty').forEach(function (el) { el.hidden = !columnShown(el); });
      section.querySelectorAll('th.server-group').forEach(function (group) {
        var shown = Array.prototype.filter.call(section.querySelectorAll('th.col'), function (th) {
          return th.dataset.server === group.dataset.server && !th.hidden;
        }).length;
        group.hidden = shown === 0;
        if (shown > 0) group.colSpan = shown;
      });
      var rows = 0;
      section.querySelectorAll('tbody tr').forEach(function (tr) {
        var shown = (!scenario || tr.dataset.scenario === scenario) && tr.querySelector('td.cell:not([hidden])') !== null;
        tr.hidden = !shown;
        if (shown) rows += 1;
      });
      section.hidden = rows === 0;
      if (!section.hidden) anyShown = true;
    });
    byId('no-match').hidden = anyShown || records.length === 0;
  }

  function verdictClass(verdict) { return verdict === 'n/a' ? 'na' : verdict; }

  function addField(list, name, value, className) {
    var dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = value;
    if (className) dd.className = className;
    list.append(dt, dd);
  }

  function renderTranscript(pre, lines) {
    pre.replaceChildren();
    if (lines.length === 0) { pre.textContent = '(no transcript)'; return; }
    lines.forEach(function (line) {
      var span = document.createElement('span');
      span.className = ['line'].concat(line.marks).join(' ');
      span.textContent = line.text;
      pre.append(span);
    });
  }

  function openDetails(cell) {
    var r = records[Number(cell.dataset.index)];
    if (!r) return;
    document.querySelectorAll('td.cell.selected').forEach(function (c) { c.classList.remove('selected'); });
    cell.classList.add('selected');
    byId('details-id').textContent = r.id;
    var list = byId('details-fields');
    list.replaceChildren();
    addField(list, 'verdict', r.verdict, 'badge v-' + verdictClass(r.verdict));
    addField(list, 'reason', r.reason);
    addField(list, 'outcome', r.outcome);
    if (r.detail !== null) addField(list, 'detail', r.detail);
    addField(list, 'expected', r.expected);
    addField(list, 'fault', r.fault === 'none' ? 'none' : r.fault + (r.faultFired ? ' (fired)' : ' (never fired)'));
    addField(list, 'scenario', r.scenario + ': ' + r.title);
    addField(list, 'ran', r.column + ' against ' + r.server + ' in ' + Math.round(r.durationMs) + ' ms');
    if (r.facts.length > 0) addField(list, 'found', r.facts.join('\n'));
    renderTranscript(byId('details-transcript'), r.transcript);
    panel.dataset.id = r.id;
    panel.hidden = false;
    document.body.classList.add('details-open');
  }

  function closeDetails() {
    panel.hidden = true;
    document.body.classList.remove('details-open');
    document.querySelectorAll('td.cell.selected').forEach(function (c) { c.classList.remove('selected'); });
  }

  document.addEventListener('click', function (event) {
    var cell = event.target instanceof Element ? event.target.closest('td.cell') : null;
    if (cell) openDetails(cell);
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !panel.hidden) { closeDetails(); return; }
    var cell = event.target instanceof Element ? event.target.closest('td.cell') : null;
    if (cell && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); openDetails(cell); }
  });
  byId('details-close').addEventListener('click', closeDetails);
  Object.keys(filters).forEach(function (name) { filters[name].addEventListener('change', applyFilters); });
  applyFilters();
})();
`;
