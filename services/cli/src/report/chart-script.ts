/**
 * The browser side of the report charts: plain ES2020 run by the page after uPlot (inlined from
 * node_modules), reading the JSON that chart-page.ts writes. It is a string because the CLI's
 * TypeScript has no DOM types and the page must stay one file; report.test.ts runs it in Chromium.
 *
 * One uPlot chart per series: values (left axis) with shaded bands and marked points, the surprise
 * log10(1/p) (right axis; one decade is a tenfold rarer window) with its thresholds. Drag zooms
 * the time axis, a double click resets it, the legend shows the time and values under the cursor,
 * and cursors are linked across charts (zoom too when every chart spans the same time range).
 */
export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var doc = JSON.parse(document.getElementById('hourglass-chart-data').textContent);
  var COLORS = { value: '#1f4e99', surprise: '#6a3d9a', threshold: ['#d62728', '#7f7f7f'], mark: '#d62728', expected: '#2ca02c', band: 'rgba(44,160,44,0.16)', outside: '#ff7f0e' };
  var BANDS = { window: 'rgba(242,193,78,0.35)', injected: 'rgba(242,193,78,0.35)', probation: 'rgba(160,160,160,0.22)' };
  function isoTime(seconds) {
    return seconds == null ? '' : new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  }
  function num(v, digits) {
    return v == null ? '' : Number(v.toPrecision(digits)).toString();
  }
  // Time deltas and step thresholds are stored compactly; see chart-page.ts.
  function decodeTimes(deltas) {
    var out = new Array(deltas.length), t = 0;
    for (var i = 0; i < deltas.length; i++) { t += deltas[i]; out[i] = t; }
    return out;
  }
  function decodeSteps(steps, n) {
    var out = new Array(n).fill(null);
    for (var k = 0; k < steps.length; k++) {
      var end = k + 1 < steps.length ? steps[k + 1][0] : n;
      for (var i = steps[k][0]; i < end; i++) out[i] = steps[k][1];
    }
    return out;
  }
  function drawBands(u, bands) {
    var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
    ctx.save();
    ctx.font = Math.round(11 * devicePixelRatio) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (var b = 0; b < bands.length; b++) {
      var band = bands[b];
      var x0 = Math.max(left, u.valToPos(band.start, 'x', true));
      var x1 = Math.min(right, u.valToPos(band.end, 'x', true));
      if (x1 < left || x0 > right) continue;
      ctx.fillStyle = BANDS[band.kind] || BANDS.window;
      ctx.fillRect(x0, top, Math.max(devicePixelRatio, x1 - x0), height);
      if (band.label) {
        ctx.fillStyle = '#7a5a00';
        ctx.fillText(band.label, x0 + 3 * devicePixelRatio, top + 3 * devicePixelRatio);
      }
    }
    ctx.restore();
  }
  var charts = [];
  var sameRange = doc.series.length > 1 && doc.series.every(function (s) { return s.start === doc.series[0].start && s.end === doc.series[0].end; });
  var zooming = false;
  doc.series.forEach(function (s) {
    var el = document.getElementById(s.id);
    var x = decodeTimes(s.t);
    var n = x.length;
    var thresholds = s.thresholds.map(function (th) { return decodeSteps(th.steps, n); });
    var marks = new Array(n).fill(null);
    s.marks.forEach(function (i) { marks[i] = s.v[i]; });
    var bands = s.bands.map(function (b) { return { start: x[b.from], end: x[b.to], kind: b.kind, label: b.label }; });
    var series = [
      { label: 'time (UTC)', value: function (u, v) { return isoTime(v); } },
      { label: s.valueLabel, scale: 'y', stroke: COLORS.value, width: 1, value: function (u, v) { return num(v, 6); } },
      { label: 'surprise', scale: 's', stroke: COLORS.surprise, width: 1, value: function (u, v) { return v == null ? '' : num(v, 3) + ' (p ' + num(Math.pow(10, -v), 2) + ')'; } },
    ];
    s.thresholds.forEach(function (th, k) {
      series.push({ label: th.label, scale: 's', stroke: COLORS.threshold[k % 2], width: 1, dash: [6, 4], value: function (u, v) { return num(v, 3); } });
    });
    series.push({
      label: s.markLabel, scale: 'y', stroke: COLORS.mark, fill: COLORS.mark, paths: function () { return null; },
      points: { show: true, size: 7, stroke: COLORS.mark, fill: COLORS.mark }, value: function (u, v) { return v == null ? '' : 'yes'; },
    });
    // The expected-value band: expected line, its bounds (a fill between them) and the values outside it.
    var bandData = [];
    var uBands = [];
    if (s.e) {
      var outside = s.v.map(function (v, i) { return v != null && s.lo[i] != null && s.hi[i] != null && (v < s.lo[i] || v > s.hi[i]) ? v : null; });
      var first = series.length;
      series.push({ label: 'expected', scale: 'y', stroke: COLORS.expected, width: 1, dash: [4, 3], value: function (u, v) { return num(v, 6); } });
      series.push({ label: 'band lower', scale: 'y', stroke: COLORS.band, width: 1, value: function (u, v) { return num(v, 6); } });
      series.push({ label: 'band upper', scale: 'y', stroke: COLORS.band, width: 1, value: function (u, v) { return num(v, 6); } });
      series.push({
        label: 'outside band', scale: 'y', stroke: COLORS.outside, fill: COLORS.outside, paths: function () { return null; },
        points: { show: true, size: 3, stroke: COLORS.outside, fill: COLORS.outside }, value: function (u, v) { return v == null ? '' : 'yes'; },
      });
      uBands.push({ series: [first + 2, first + 1], fill: COLORS.band });
      bandData = [s.e, s.lo, s.hi, outside];
    }
    var opts = {
      bands: uBands,
      // Axis ticks in UTC like the legend, whatever the viewer's zone (reports compare across machines).
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      width: Math.max(480, el.clientWidth || 960), height: 300,
      cursor: {
        drag: { x: true, y: false },
        // Only the pointer is shared: zoom is linked below, and only when the time ranges agree.
        sync: { key: 'hourglass', setSeries: false, filters: { pub: function (type) { return type === 'mousemove' || type === 'mouseleave' || type === 'mouseenter'; } } },
      },
      scales: { x: { time: true }, s: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.08]; } } },
      axes: [
        {},
        { scale: 'y', label: s.valueLabel, size: 60 },
        { scale: 's', side: 1, label: 'surprise log10(1/p)', grid: { show: false }, size: 50 },
      ],
      series: series,
      hooks: {
        drawClear: [function (u) { drawBands(u, bands); }],
        setScale: [function (u, key) {
          if (key !== 'x' || !sameRange || zooming) return;
          zooming = true;
          charts.forEach(function (c) { if (c !== u) c.setScale('x', { min: u.scales.x.min, max: u.scales.x.max }); });
          zooming = false;
        }],
      },
    };
    charts.push(new uPlot(opts, [x, s.v, s.s].concat(thresholds, [marks], bandData), el));
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.setSize({ width: Math.max(480, c.root.parentElement.clientWidth), height: 300 }); });
  });
  // Handles for the console and for the report's browser test.
  window.hourglassCharts = charts;
})();
`;
