// Draws the per-day chart from the JSON the server put in #chart-data (uPlot, vendored).
(function () {
  "use strict";
  var el = document.getElementById("chart");
  var src = document.getElementById("chart-data");
  if (!el || !src || typeof uPlot === "undefined") return;
  var d = JSON.parse(src.textContent);
  if (!d.day.length) {
    el.textContent = "no savings recorded yet";
    return;
  }
  var bars = uPlot.paths.bars({ size: [0.6, 60] });
  var day = 86400;
  var last = d.day[d.day.length - 1];
  var first = Math.min(d.day[0], last - 13 * day); // at least two weeks wide
  var xRange = [first - day / 2, last + day / 2];
  var opts = {
    width: Math.max(320, el.clientWidth || 720),
    height: 240,
    scales: {
      x: { time: true, range: function () { return xRange; } },
      s: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } },
      t: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } },
    },
    series: [
      {},
      { label: "seconds saved", scale: "s", stroke: "#2b6cb0", fill: "rgba(43,108,176,0.35)", paths: bars },
      { label: "tokens saved", scale: "t", stroke: "#c05621", width: 2, points: { size: 7 } },
    ],
    axes: [{}, { scale: "s", label: "seconds" }, { scale: "t", side: 1, label: "tokens", grid: { show: false } }],
  };
  el.setAttribute("data-days", String(d.day.length));
  new uPlot(opts, [d.day, d.seconds_saved, d.tokens_saved], el);
})();
