/** The dashboard's server-rendered pages. Every value from the store or GitHub is escaped where it is written. */
import { escapeHtml as escape } from "../http.js";
import type { Session } from "../auth/session.js";
import { installationSection, percent, table } from "./learning-curve.js";
import type { InstallationOverview, InstallationSummary, LibraryView, RuleView } from "./overview.js";

const iso = (ms: number | null): string => (ms === null ? "–" : new Date(ms).toISOString().slice(0, 16).replace("T", " "));
const usd = (value: number): string => `$${value.toFixed(2)}`;

export interface PageFrame {
  title: string;
  session?: Session;
  /** A one-line notice after an action ("rule 3 trusted"). */
  notice?: { ok: boolean; text: string };
}

export function page(frame: PageFrame, body: string): string {
  const who = frame.session === undefined
    ? ""
    : `<form method="post" action="/dashboard/logout" class="who"><span>${escape(frame.session.user)}</span>
<input type="hidden" name="csrf" value="${escape(frame.session.csrf)}"><button type="submit">Sign out</button></form>`;
  const notice = frame.notice === undefined ? "" : `<p class="notice ${frame.notice.ok ? "ok" : "bad"}" role="status">${escape(frame.notice.text)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(frame.title)} — opforge</title>
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css"><link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head><body>
<header><a href="/dashboard" class="brand">opforge</a>${who}</header>
<main>${notice}
${body}
</main></body></html>
`;
}

export interface LoginOptions {
  github: boolean;
  token: boolean;
  error?: string;
}

export function loginPage(options: LoginOptions): string {
  const github = options.github ? `<p><a class="button" href="/dashboard/login/github">Sign in with GitHub</a></p>` : "";
  const token = options.token
    ? `<form method="post" action="/dashboard/login" class="token-login">
<label>Dashboard token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in with the token</button></form>`
    : "";
  const error = options.error === undefined ? "" : `<p class="notice bad" role="alert">${escape(options.error)}</p>`;
  return page({ title: "Sign in" }, `<h1>Sign in</h1>${error}${github}${token}`);
}

/** What to set so the dashboard has a way in: shown instead of a 404 when none is configured. */
export function notConfiguredPage(missing: readonly string[]): string {
  return page(
    { title: "Dashboard" },
    `<h1>The dashboard is not enabled</h1>
<p>Sign-in is not configured on this server, so the dashboard stays closed. To enable it, set:</p>
<ul>
<li><code>OPFORGE_SESSION_SECRET</code>: a random string of at least 32 characters that signs the login cookie;</li>
<li>and one way in: <code>GITHUB_CLIENT_ID</code> and <code>GITHUB_CLIENT_SECRET</code> (the app's OAuth client, written by the
setup flow; set the app's callback URL to <code>&lt;your URL&gt;/dashboard/oauth/callback</code>) so people sign in with GitHub and see
the installations they can access, or <code>OPFORGE_DASHBOARD_TOKEN</code> for a self-hosted setup where whoever holds the token sees every installation.</li>
</ul>
${missing.length === 0 ? "" : `<p>Missing now: ${missing.map((m) => `<code>${escape(m)}</code>`).join(", ")}.</p>`}`,
  );
}

export function installationsPage(session: Session, installations: readonly InstallationSummary[]): string {
  const list = installations.length === 0
    ? `<p class="empty">${session.via === "github" ? "You have no access to an installation of this app." : "No installation has used opforge yet."}</p>`
    : `<ul class="installations">${installations
        .map(
          (i) => `<li><a href="/dashboard/installations/${i.id}">${escape(i.account)}</a> <span class="muted">installation ${i.id}</span>
<span class="summary">${i.specs} specs, ${i.merged} merged, first-attempt success ${percent(i.firstAttemptRate)} in the last 4 weeks${i.deadJobs > 0 ? `; <strong>${i.deadJobs} dead ${i.deadJobs === 1 ? "job" : "jobs"}</strong>` : ""}</span></li>`,
        )
        .join("")}</ul>`;
  return page({ title: "Installations", session }, `<h1>Installations</h1>${list}`);
}

function actionForm(session: Session, action: string, label: string): string {
  return `<form method="post" action="${escape(action)}" class="inline"><input type="hidden" name="csrf" value="${escape(session.csrf)}"><button type="submit">${escape(label)}</button></form>`;
}

function ruleRow(session: Session, base: string, rule: RuleView): string {
  const sources = rule.sources.length === 0
    ? "unknown"
    : rule.sources.map((s) => `${escape(s.repo)}#${s.prNumber} <code>${escape(s.commitSha.slice(0, 7))}</code>${s.author === null ? "" : ` by ${escape(s.author)}`}`).join("<br>");
  const actions = [
    rule.status === "trusted" ? "" : actionForm(session, `${base}/rules/${rule.id}/trust`, "Trust"),
    rule.status === "discarded" ? "" : actionForm(session, `${base}/rules/${rule.id}/discard`, "Discard"),
  ].join(" ");
  return `<tr id="rule-${rule.id}"><td>${rule.id}</td><td class="status-${escape(rule.status)}">${escape(rule.status)}</td><td>${escape(rule.description)}
<details><summary>change</summary><pre>${escape(rule.before)}</pre><pre>${escape(rule.after)}</pre></details></td>
<td>${sources}</td><td>${rule.applications}</td><td>${percent(rule.successRate)} <span class="muted">(${rule.successes}/${rule.successes + rule.failures})</span></td><td>${actions}</td></tr>`;
}

function libraryRow(l: LibraryView): string {
  const e = l.evidence;
  return `<tr><td>${escape(l.library)}</td><td>${l.airflowMajor}</td><td>${escape(l.score.label)}</td>
<td>imports ${e.importOk} ok / ${e.importFailed} failed; runs ${e.execOk} ok / ${e.execFailed} failed${e.conflicts > 0 ? `; ${e.conflicts} conflicts` : ""}</td>
<td>${l.alternatives.length === 0 ? "–" : l.alternatives.map(escape).join(", ")}</td></tr>`;
}

/** The plots' data, for /dashboard/assets/dashboard.js; `<` is escaped so no value can close the script element. */
function chartData(overview: InstallationOverview): string {
  const w = overview.weeks;
  const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
  const data = {
    x: w.map((x) => x.start),
    funnel: { specs: w.map((x) => x.specs), prs: w.map((x) => x.prs), ciGreen: w.map((x) => x.ciGreen), merged: w.map((x) => x.merged) },
    firstAttempt: w.map((x) => ratio(x.firstAttemptSuccesses, x.decided)),
    attemptsPerMerged: w.map((x) => ratio(x.mergedAttempts, x.merged)),
    costPerMerged: w.map((x) => ratio(x.costUsd, x.merged)),
    tokens: { input: w.map((x) => x.inputTokens), output: w.map((x) => x.outputTokens), cacheRead: w.map((x) => x.cacheReadTokens) },
  };
  return JSON.stringify(data).replace(/</g, "\\u003c");
}

export function installationPage(session: Session, account: string, overview: InstallationOverview, notice?: PageFrame["notice"]): string {
  const base = `/dashboard/installations/${overview.installationId}`;
  const totals = overview.weeks.reduce(
    (t, w) => ({ specs: t.specs + w.specs, merged: t.merged + w.merged, cost: t.cost + w.costUsd, input: t.input + w.inputTokens + w.cacheReadTokens, cacheRead: t.cacheRead + w.cacheReadTokens }),
    { specs: 0, merged: 0, cost: 0, input: 0, cacheRead: 0 },
  );
  const spend = overview.spend;
  const budget = spend.budgetUsd === undefined ? "budget not known yet" : spend.budgetUsd === null ? "no budget (budget_usd: none)" : `of ${usd(spend.budgetUsd)} budget_usd`;
  const q = overview.queue;
  const body = `<h1>${escape(account)} <span class="muted">installation ${overview.installationId}</span></h1>
<div class="figures">
<div>${totals.specs}<span>specs, last ${overview.weeks.length} weeks</span></div>
<div>${totals.merged}<span>merged PRs</span></div>
<div>${totals.merged === 0 ? "–" : usd(totals.cost / totals.merged)}<span>cost per merged PR</span></div>
<div>${usd(spend.spentUsd)}<span>spent in ${escape(spend.month)}, ${escape(budget)}</span></div>
<div>${totals.input === 0 ? "–" : percent(totals.cacheRead / totals.input)}<span>input tokens from cache</span></div>
</div>
<script type="application/json" id="chart-data">${chartData(overview)}</script>
<section id="charts"><h2>Per week</h2><div class="charts">
<figure><figcaption>Funnel: specs → PRs → CI green → merged</figcaption><div class="chart" data-chart="funnel"></div></figure>
<figure><figcaption>First-attempt success</figcaption><div class="chart" data-chart="firstAttempt"></div></figure>
<figure><figcaption>Attempts per merged PR</figcaption><div class="chart" data-chart="attemptsPerMerged"></div></figure>
<figure><figcaption>Cost per merged PR (USD)</figcaption><div class="chart" data-chart="costPerMerged"></div></figure>
<figure><figcaption>Tokens (input, output, cache reads)</figcaption><div class="chart" data-chart="tokens"></div></figure>
</div>
${table(["week", "specs", "PRs", "CI green", "merged", "first-attempt success", "cost USD"], overview.weeks.map((w) => [w.week, w.specs, w.prs, w.ciGreen, w.merged, w.decided === 0 ? "–" : percent(w.firstAttemptSuccesses / w.decided), w.costUsd.toFixed(2)]))}
</section>
<section id="signatures"><h2>Top failure signatures</h2>
${overview.signatures.length === 0 ? '<p class="empty">No CI failure recorded yet.</p>' : `<table><thead><tr><th>kind</th><th>signature</th><th>count</th><th>trend (7 days vs the 7 before)</th><th>last seen</th><th>covered by</th></tr></thead><tbody>
${overview.signatures.map((s) => `<tr><td>${escape(s.kind)}</td><td><code>${escape(s.signature)}</code></td><td>${s.occurrences}</td><td>${s.lastWeek} vs ${s.weekBefore} ${s.lastWeek > s.weekBefore ? "▲" : s.lastWeek < s.weekBefore ? "▼" : "="}</td><td>${iso(s.lastSeen)}</td><td>${s.ruleIds.length > 0 ? `rule ${s.ruleIds.map((id) => `<a href="#rule-${id}">${id}</a>`).join(", ")}` : `fix strategy: ${escape(s.fixStrategy)}`}</td></tr>`).join("\n")}
</tbody></table>`}
</section>
<section id="rules"><h2>Learned rules</h2>
${overview.rules.length === 0 ? '<p class="empty">No rule learned yet.</p>' : `<table><thead><tr><th>id</th><th>status</th><th>rule</th><th>taught by (PR, commit, author)</th><th>applied</th><th>success after applying</th><th></th></tr></thead><tbody>
${overview.rules.map((r) => ruleRow(session, base, r)).join("\n")}
</tbody></table>`}
</section>
<section id="libraries"><h2>Libraries × Airflow version</h2>
${overview.libraries.length === 0 ? '<p class="empty">No library outcome recorded yet.</p>' : `<table><thead><tr><th>library</th><th>Airflow</th><th>status</th><th>evidence</th><th>alternatives</th></tr></thead><tbody>
${overview.libraries.map(libraryRow).join("\n")}
</tbody></table>`}
</section>
<section id="queue"><h2>Queue</h2>
<div class="figures"><div>${q.depth}<span>jobs to run</span></div><div>${iso(q.oldestPendingAt)}<span>oldest job to run (UTC)</span></div><div>${q.counts.dead}<span>dead jobs</span></div></div>
${q.dead.length === 0 ? '<p class="empty">No dead job.</p>' : `<table><thead><tr><th>job</th><th>type</th><th>attempts</th><th>last error</th><th>updated (UTC)</th><th></th></tr></thead><tbody>
${q.dead.map((j) => `<tr id="job-${j.id}"><td>${j.id}</td><td>${escape(j.type)}</td><td>${j.attempts}</td><td>${escape((j.lastError ?? "").split("\n")[0] ?? "")}</td><td>${iso(j.updatedAt)}</td><td>${actionForm(session, `${base}/jobs/${j.id}/requeue`, "Requeue")}</td></tr>`).join("\n")}
</tbody></table>`}
</section>
${installationSection(overview.stats)}
<section id="audit"><h2>Actions taken here</h2>
${table(["when (UTC)", "who", "signed in with", "action", "target"], overview.audit.map((a) => [iso(a.createdAt), a.actor, a.via, a.action.replace("_", " "), a.targetId]))}
</section>
<script src="/dashboard/assets/uPlot.iife.min.js"></script><script src="/dashboard/assets/dashboard.js"></script>`;
  return page({ title: account, session, ...(notice === undefined ? {} : { notice }) }, body);
}
