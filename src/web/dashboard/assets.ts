/**
 * The dashboard's static files: uPlot (script and stylesheet) read from the installed package, so no page
 * loads anything from a CDN, plus the small script that draws the plots and the stylesheet. They are read
 * once and kept in memory.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

interface Asset {
  type: string;
  body: Buffer;
}

/** Draws each `.chart` from the JSON in #chart-data: weeks on x, one or more series on y. */
const DASHBOARD_JS = `"use strict";
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof uPlot === "undefined") return;
  var d = JSON.parse(source.textContent);
  var colors = ["#0969da", "#8250df", "#1a7f37", "#bf3989"];
  function short(v) {
    if (v == null) return "";
    var a = Math.abs(v);
    return a >= 1e6 ? +(v / 1e6).toFixed(1) + "M" : a >= 1e3 ? +(v / 1e3).toFixed(1) + "k" : String(+v.toFixed(2));
  }
  var specs = {
    funnel: [["specs", d.funnel.specs], ["PRs", d.funnel.prs], ["CI green", d.funnel.ciGreen], ["merged", d.funnel.merged]],
    firstAttempt: [["first-attempt success", d.firstAttempt]],
    attemptsPerMerged: [["attempts per merged PR", d.attemptsPerMerged]],
    costPerMerged: [["USD per merged PR", d.costPerMerged]],
    tokens: [["input", d.tokens.input], ["output", d.tokens.output], ["cache reads", d.tokens.cacheRead]]
  };
  document.querySelectorAll(".chart").forEach(function (el) {
    var spec = specs[el.getAttribute("data-chart")];
    if (!spec) return;
    var series = [{ label: "week" }].concat(spec.map(function (s, i) {
      return { label: s[0], stroke: colors[i % colors.length], width: 2, points: { show: true, size: 5 }, spanGaps: false };
    }));
    var data = [d.x].concat(spec.map(function (s) { return s[1]; }));
    var y = { size: 56, values: function (u, ticks) { return ticks.map(short); } };
    new uPlot({ width: Math.max(280, el.clientWidth || 440), height: 220, series: series, scales: { x: { time: true } }, axes: [{}, y], legend: { live: false } }, data, el);
  });
})();
`;

const DASHBOARD_CSS = `body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 2rem;background:#24292f;color:#fff}
header a.brand{color:#fff;font-weight:600;text-decoration:none;font-size:1.1rem}.who{display:flex;gap:.8rem;align-items:center}
main{max-width:1200px;margin:0 auto;padding:1rem 2rem 3rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1.2rem 1rem;margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0;background:#fff}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}
.figures{display:flex;flex-wrap:wrap;gap:2rem;margin:1rem 0}.figures div{font-size:1.5rem}.figures span{display:block;font-size:.8rem;color:#57606a}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:1rem}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
.chart{min-height:240px}.muted,.empty{color:#57606a}.notice{padding:.5rem 1rem;border-radius:6px}.ok{background:#dafbe1}.bad{background:#ffebe9}
form.inline{display:inline}button,.button{font:inherit;padding:.25rem .8rem;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer;color:#1f2328;text-decoration:none}
ul.installations{list-style:none;padding:0}ul.installations li{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;margin:.5rem 0}
ul.installations a{font-weight:600;font-size:1.05rem}.summary{display:block;color:#57606a}
.token-login{display:flex;gap:.6rem;align-items:end}.status-trusted{color:#1a7f37;font-weight:600}.status-discarded{color:#cf222e}
pre{margin:.2rem 0;padding:.3rem;background:#f6f8fa;font-size:12px;white-space:pre-wrap}
svg{width:100%;max-width:640px}svg text{font-size:10px;fill:#57606a}polyline{stroke:#0969da;stroke-width:2}circle{fill:#0969da}.axis{stroke:#57606a}.grid{stroke:#d0d7de;stroke-dasharray:4}
`;

const require = createRequire(import.meta.url);
let cache: Map<string, Asset> | undefined;

function load(): Map<string, Asset> {
  const file = (name: string): Buffer => readFileSync(require.resolve(`uplot/dist/${name}`));
  return new Map<string, Asset>([
    ["uPlot.iife.min.js", { type: "text/javascript; charset=utf-8", body: file("uPlot.iife.min.js") }],
    ["uPlot.min.css", { type: "text/css; charset=utf-8", body: file("uPlot.min.css") }],
    ["dashboard.js", { type: "text/javascript; charset=utf-8", body: Buffer.from(DASHBOARD_JS) }],
    ["dashboard.css", { type: "text/css; charset=utf-8", body: Buffer.from(DASHBOARD_CSS) }],
  ]);
}

/** The asset of that name under /dashboard/assets/, or undefined. */
export function dashboardAsset(name: string): Asset | undefined {
  cache ??= load();
  return cache.get(name);
}
