/** The learning-curve section of the dashboard: first-attempt success by week and the figures behind it. */
import type { StatsReport } from "../../learn/metrics/index.js";
import { escapeHtml as escape } from "../http.js";

export function percent(rate: number | null): string {
  return rate === null ? "–" : `${Math.round(rate * 100)}%`;
}

export function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "<p class=\"empty\">No data yet.</p>";
  const th = head.map((h) => `<th>${escape(h)}</th>`).join("");
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(String(c))}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

interface WeekPoint {
  week: string;
  rate: number | null;
  decided: number;
}

/** First-attempt success per week over every category. */
export function weeklyCurve(report: StatsReport): WeekPoint[] {
  const byWeek = new Map<string, { decided: number; successes: number }>();
  for (const row of report.firstAttemptByWeek) {
    const week = byWeek.get(row.week) ?? { decided: 0, successes: 0 };
    week.decided += row.decided;
    week.successes += row.firstAttemptSuccesses;
    byWeek.set(row.week, week);
  }
  return [...byWeek.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([week, w]) => ({ week, decided: w.decided, rate: w.decided === 0 ? null : w.successes / w.decided }));
}

function curveSvg(points: WeekPoint[]): string {
  const decided = points.filter((p) => p.rate !== null);
  if (decided.length === 0) return "<p class=\"empty\">No generation has a CI verdict yet.</p>";
  const width = 640;
  const height = 200;
  const pad = 30;
  const x = (i: number) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (rate: number) => height - pad - rate * (height - 2 * pad);
  const coords = points.flatMap((p, i) => (p.rate === null ? [] : [`${x(i).toFixed(1)},${y(p.rate).toFixed(1)}`]));
  const labels = points.map((p, i) => `<text x="${x(i).toFixed(1)}" y="${height - 8}" text-anchor="middle">${escape(p.week.slice(5))}</text>`).join("");
  const dots = points
    .map((p, i) => (p.rate === null ? "" : `<circle cx="${x(i).toFixed(1)}" cy="${y(p.rate).toFixed(1)}" r="3"><title>${escape(p.week)}: ${percent(p.rate)} of ${p.decided}</title></circle>`))
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="first-attempt success rate by week">
<line x1="${pad}" y1="${y(0)}" x2="${width - pad}" y2="${y(0)}" class="axis"/><line x1="${pad}" y1="${y(1)}" x2="${width - pad}" y2="${y(1)}" class="grid"/>
<text x="4" y="${y(1) + 4}">100%</text><text x="4" y="${y(0) + 4}">0%</text>
<polyline points="${coords.join(" ")}" fill="none"/>${dots}${labels}</svg>`;
}

/** One installation's figures: a section of its own, so no number on the page mixes installations. */
export function installationSection(report: StatsReport): string {
  const curve = weeklyCurve(report);
  const total = report.cost.find((c) => c.provider === null);
  const alternatives = report.libraryAlternatives;
  return `<section id="learning-curve">
<h2>Learning curve (last ${report.weeks} weeks)</h2>
<div class="figures">
<div>${percent(curve.filter((p) => p.rate !== null).at(-1)?.rate ?? null)}<span>first-attempt success, latest week</span></div>
<div>${total?.costPerSuccessUsd == null ? "–" : `$${total.costPerSuccessUsd.toFixed(2)}`}<span>cost per successful component</span></div>
<div>${report.patternLibrarySize}<span>patterns learned</span></div>
<div>${alternatives.alternatives}<span>library alternatives known</span></div>
</div>
<h3>First-attempt success by week</h3>
${curveSvg(curve)}
${table(
  ["week", "category", "generations", "with a CI verdict", "first-attempt successes", "rate"],
  report.firstAttemptByWeek.map((r) => [r.week, r.category, r.generations, r.decided, r.firstAttemptSuccesses, percent(r.rate)]),
)}
<h3>Attempts per generation</h3>
${table(["attempts", "generations", "share", "succeeded"], report.attempts.map((a) => [a.attempts, a.generations, percent(a.share), a.succeeded]))}
<h3>Cost</h3>
${table(
  ["provider", "model", "generations", "successful", "total USD", "USD per success", "tokens"],
  report.cost.map((c) => [c.provider ?? "all", c.model ?? "all", c.generations, c.successfulComponents, c.totalCostUsd.toFixed(4), c.costPerSuccessUsd === null ? "–" : c.costPerSuccessUsd.toFixed(4), c.totalTokens]),
)}
<h3>Error kinds by week (${escape(report.errorKinds.source)})</h3>
${table(["week", "kind", "count"], report.errorKinds.rows.map((r) => [r.week, r.kind, r.count]))}
</section>`;
}
