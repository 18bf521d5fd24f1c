// heapsnap report: sorting and filtering tables, zooming the treemap, opening findings.
// Everything works without this script except these interactions.
(function () {
  'use strict';
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };

  // Tables: a button in each header cell sorts by that column (numbers by data-v).
  each(document.querySelectorAll('table.sortable'), function (table) {
    var head = table.tHead.rows[0].cells;
    each(head, function (th, col) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
        each(head, function (c) { c.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var num = th.getAttribute('data-type') === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var value = function (row) {
          var cell = row.cells[col];
          var v = cell.getAttribute('data-v');
          return v === null ? cell.textContent.trim() : v;
        };
        rows.sort(function (a, b) {
          var x = value(a), y = value(b);
          var c = num ? Number(x) - Number(y) : x.localeCompare(y);
          if (dir === 'descending') c = -c;
          return c || Number(a.getAttribute('data-i')) - Number(b.getAttribute('data-i'));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // Filters: rows whose class contains the text (case-insensitive) stay.
  each(document.querySelectorAll('input[data-filter]'), function (input) {
    var id = input.getAttribute('data-filter');
    var table = document.getElementById(id);
    var count = document.querySelector('[data-count="' + id + '"]');
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0, rows = table.tBodies[0].rows;
      each(rows, function (row) {
        var name = row.getAttribute('data-f') || row.cells[0].textContent;
        var match = !q || name.toLowerCase().indexOf(q) >= 0;
        row.hidden = !match;
        if (match) shown++;
      });
      if (count) count.textContent = q ? shown + ' of ' + rows.length + ' rows' : rows.length + ' rows';
    });
  });

  // Findings: expand or collapse all; a #finding-N link opens that finding.
  each(document.querySelectorAll('button[data-expand]'), function (b) {
    b.addEventListener('click', function () {
      var open = b.getAttribute('data-expand') === 'open';
      each(document.querySelectorAll('details.finding'), function (d) { d.open = open; });
    });
  });
  function openFromHash() {
    var m = /^#(finding-\d+)$/.exec(location.hash);
    var d = m && document.getElementById(m[1]);
    if (d) { d.open = true; d.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openFromHash);
  openFromHash();

  // Bytes as the heapsnap CLI writes them (Rust's {:.1}: exact ties round to even).
  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], v = n, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    if (u === 0) return n + ' B';
    var t = v * 10, f = Math.floor(t);
    if (t - f === 0.5) return ((f % 2 === 0 ? f : f + 1) / 10).toFixed(1) + ' ' + units[u];
    return v.toFixed(1) + ' ' + units[u];
  }
  window.heapsnapBytes = bytes;

  // Treemap: every cell with children has a frame; one is shown at a time.
  var section = document.getElementById('treemap');
  if (!section) return;
  var info = section.querySelector('.tm-info');
  var crumbs = section.querySelector('.tm-crumbs');
  var cells = null;
  function cellData(i) {
    if (!cells) {
      try { cells = JSON.parse(document.getElementById('heapsnap-data').textContent).treemap.cells; } catch (e) { cells = []; }
    }
    return cells[i];
  }
  var current = '0';
  function show(id, focus) {
    var frame = document.getElementById('tm-' + id);
    if (!frame) return;
    each(section.querySelectorAll('.tm-frame'), function (f) { f.hidden = f !== frame; });
    current = id;
    var chain = [];
    for (var f = frame; f; f = document.getElementById('tm-' + f.getAttribute('data-parent'))) {
      chain.unshift(f);
      if (!f.getAttribute('data-parent')) break;
    }
    crumbs.textContent = '';
    chain.forEach(function (f, k) {
      if (k + 1 < chain.length) {
        var b = document.createElement('button');
        b.type = 'button';
        b.setAttribute('data-zoom', f.getAttribute('data-cell'));
        b.textContent = f.getAttribute('data-label');
        crumbs.appendChild(b);
        var sep = document.createElement('span');
        sep.setAttribute('aria-hidden', 'true');
        sep.textContent = ' \u203a ';
        crumbs.appendChild(sep);
      } else {
        var cur = document.createElement('span');
        cur.setAttribute('aria-current', 'location');
        cur.textContent = f.getAttribute('data-label');
        crumbs.appendChild(cur);
        var note = document.createElement('span');
        note.className = 'muted';
        note.textContent = ' ' + f.getAttribute('data-note');
        crumbs.appendChild(note);
      }
    });
    if (focus) {
      var first = frame.querySelector('a[data-zoom]') || crumbs.querySelector('[data-zoom]');
      if (first) first.focus();
    }
  }
  section.addEventListener('click', function (e) {
    var z = e.target.closest('[data-zoom]');
    if (!z) return;
    e.preventDefault();
    show(z.getAttribute('data-zoom'), true);
  });
  section.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' && e.key !== 'Backspace') return;
    var frame = document.getElementById('tm-' + current);
    var parent = frame && frame.getAttribute('data-parent');
    if (parent) { e.preventDefault(); show(parent, true); }
  });
  var describe = function (e) {
    var el = e.target.closest('rect.tm-sub, .tm-cell');
    if (!el) return;
    var title = el.querySelector(':scope > title');
    if (title) { info.textContent = title.textContent; return; }
    var c = cellData(Number(el.getAttribute('data-i')));
    if (!c) return;
    var text = c.kind === 'class' ? c['class'] + ' \u00d7' + c.count : c['class'];
    if (c.id !== undefined) text += ' @' + c.id;
    if (c.name && c.name !== c['class']) text += '\n' + c.name;
    if (c.edge) text += '\nheld by ' + c.edge;
    text += '\n' + (c.kind === 'object' ? 'retains ' : 'size ') + bytes(c.size);
    info.textContent = text;
  };
  section.addEventListener('mouseover', describe);
  section.addEventListener('focusin', describe);
})();
