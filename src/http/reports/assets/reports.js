// Draws each report page's chart from the JSON the server put beside it (Chart.js 4,
// served from node_modules). The numbers in the tables come from the server; the chart
// only pictures them.
(function () {
  var el = document.getElementById("chart-data");
  var canvas = document.getElementById("chart");
  if (!el || !canvas || !window.Chart) return;
  var spec = JSON.parse(el.textContent || "{}");
  var palette = ["#2563eb", "#94a3b8", "#16a34a", "#c2410c", "#9333ea", "#0891b2"];
  var datasets = (spec.series || []).map(function (s, i) {
    return {
      label: s.label,
      data: s.data,
      type: s.type || spec.type || "bar",
      borderColor: s.color || palette[i % palette.length],
      backgroundColor: s.fill || s.color || palette[i % palette.length],
      borderDash: s.dash ? [6, 4] : undefined,
      pointRadius: s.type === "line" ? 2 : undefined,
      spanGaps: true,
    };
  });
  new window.Chart(canvas, {
    type: spec.type || "bar",
    data: { labels: spec.labels || [], datasets: datasets },
    options: {
      indexAxis: spec.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
      scales: spec.percent ? { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } : { x: { beginAtZero: true }, y: { beginAtZero: true } },
    },
  });
  canvas.setAttribute("data-drawn", "1");
})();
