/**
 * What opforge says on GitHub: PR title and body, the issue's status comment, and the comments that explain
 * a retry, a refusal or a stop. Pure: plain data in, Markdown out.
 */
import { formatUsdAmount } from "../generate/budget.js";

export interface RenderedFinding {
  path: string;
  rule: string;
  severity: "error" | "warning";
  line: number;
  message: string;
}

export interface RenderedFix {
  path: string;
  rule: string;
  description: string;
}

export interface RenderedLearnedItem {
  kind: string;
  title: string;
  reason: string;
}

export interface RenderedAttempt {
  number: number;
  trigger: string;
  outcome: string;
  reason?: string;
}

export interface RenderedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** One class of the Airflow API facts the prompt carried (knowledge/ground.ts), as the PR lists it. */
export interface RenderedApiFact {
  name: string;
  role: string;
  /** Why it was chosen ("named in the requirements; implied by the category \"http\""). */
  reasons: string;
  /** Import statements (two when Airflow 2 and 3 import it from different modules). */
  imports: string[];
  /** `__init__` parameter names. */
  params: string[];
  connection?: { param: string; default?: string; type?: string };
  methods: string[];
  /** The knowledge-base version the facts were read from: Airflow version id, git ref and commit. */
  source: { version: string; ref: string; commit: string };
}

export interface PrSummary {
  componentName: string;
  componentType: string;
  description: string;
  airflowVersion: string;
  issueNumber: number;
  files: { path: string; role: string }[];
  findings: RenderedFinding[];
  fixes: RenderedFix[];
  learnedUsed: RenderedLearnedItem[];
  /** The Airflow API facts given to the model; absent when none were computed. */
  apiFacts?: RenderedApiFact[];
  provider: string;
  model: string;
  scaffold: boolean;
  attempts: RenderedAttempt[];
  usage: RenderedUsage;
  costUsd: number;
}

const MAX_LISTED = 50;

/** Four decimals below a dollar (model calls cost cents), two above. */
export const formatUsd = formatUsdAmount;

export function formatTokens(usage: RenderedUsage): string {
  return `${usage.input} in / ${usage.output} out / ${usage.cacheRead} cache read / ${usage.cacheWrite} cache write`;
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function escapeCell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

export function renderPrTitle(summary: Pick<PrSummary, "componentName" | "componentType" | "scaffold">): string {
  const prefix = summary.scaffold ? "Scaffold" : "Add";
  return `${prefix} ${summary.componentType} ${summary.componentName}`;
}

export function renderFindingsTable(findings: RenderedFinding[]): string {
  if (findings.length === 0) return "No findings: the generated files pass every local rule.";
  const rows = findings
    .slice(0, MAX_LISTED)
    .map((f) => `| ${f.severity} | \`${f.path}:${f.line}\` | \`${f.rule}\` | ${escapeCell(f.message)} |`);
  const more = findings.length > MAX_LISTED ? [`\n…and ${findings.length - MAX_LISTED} more.`] : [];
  return ["| severity | where | rule | message |", "|---|---|---|---|", ...rows, ...more].join("\n");
}

const MAX_PARAMS_LISTED = 8;

function apiFactLine(f: RenderedApiFact): string {
  const params =
    f.params.length === 0
      ? ""
      : `; \`__init__\`: ${f.params.slice(0, MAX_PARAMS_LISTED).join(", ")}${f.params.length > MAX_PARAMS_LISTED ? `, … (${f.params.length - MAX_PARAMS_LISTED} more)` : ""}`;
  const c = f.connection;
  const connection = c
    ? `; connection \`${c.param}\`${c.default !== undefined || c.type !== undefined ? ` (${[c.default === undefined ? "" : `default \`${c.default}\``, c.type === undefined ? "" : `type \`${c.type}\``].filter((x) => x !== "").join(", ")})` : ""}`
    : "";
  const methods = f.methods.length === 0 ? "" : `; methods: ${f.methods.join(", ")}`;
  const imports = f.imports.map((i) => `\`${i}\``).join(" or ");
  return `- \`${f.name}\` (${f.role === "base" ? "" : `${f.role}, `}${oneLine(f.reasons, 200)}): ${imports}${connection}${params}${methods} — Airflow ${f.source.version}`;
}

/** The collapsible list of the Airflow API facts the prompt carried, or "" when none were computed. */
export function renderApiFactsSection(facts: RenderedApiFact[] | undefined, scaffold: boolean): string {
  if (facts === undefined) return "";
  const heading = "### Airflow API facts given to the model";
  if (facts.length === 0) return [heading, "None: no Airflow knowledge base was available, or no fact fitted the budget."].join("\n");
  const sources = [...new Set(facts.map((f) => `Airflow ${f.source.version} (${f.source.ref} @ ${f.source.commit.slice(0, 10)})`))].join(", ");
  const summary = `${facts.length} ${facts.length === 1 ? "class" : "classes"} with import paths and signatures read from ${sources}`;
  return [
    heading,
    ...(scaffold ? ["No model was called; the scaffold took its hooks and connection arguments from these facts."] : []),
    `<details><summary>${summary}</summary>`,
    "",
    ...facts.map(apiFactLine),
    "",
    "</details>",
  ].join("\n");
}

export function renderPrBody(summary: PrSummary): string {
  const files = summary.files.map((f) => `- \`${f.path}\` (${f.role})`).join("\n");
  const fixes =
    summary.fixes.length === 0
      ? "No repairs were needed."
      : summary.fixes.map((f) => `- \`${f.path}\`: ${oneLine(f.description)} (\`${f.rule}\`)`).join("\n");
  const learned =
    summary.learnedUsed.length === 0
      ? "None: nothing learned so far matched this spec."
      : summary.learnedUsed.map((l) => `- **${l.kind}** ${oneLine(l.title, 120)} — ${oneLine(l.reason, 200)}`).join("\n");
  const attempts = summary.attempts
    .map((a) => `| ${a.number} | ${a.trigger} | ${a.outcome} | ${a.reason === undefined ? "" : escapeCell(a.reason)} |`)
    .join("\n");
  const scaffoldNote = summary.scaffold
    ? "\n> **Scaffold:** no model was called. The files were rendered from the spec alone and mark the places to complete.\n"
    : "";
  return [
    `Generated ${summary.componentType} \`${summary.componentName}\` for Airflow ${summary.airflowVersion === "both" ? "2.x and 3.x" : `${summary.airflowVersion}.x`} from the spec in #${summary.issueNumber}.`,
    "",
    `Closes #${summary.issueNumber}`,
    scaffoldNote,
    `> ${oneLine(summary.description, 500)}`,
    "",
    "### Files",
    files,
    "",
    "### Local validation",
    renderFindingsTable(summary.findings),
    "",
    "### Repairs applied before this commit",
    fixes,
    "",
    "### Learned context used",
    learned,
    "",
    ...(summary.apiFacts === undefined ? [] : [renderApiFactsSection(summary.apiFacts, summary.scaffold), ""]),
    "### Generation",
    `- provider: \`${summary.provider}\`${summary.scaffold ? " (scaffold: no model was called)" : ""}`,
    `- model: \`${summary.model}\``,
    `- tokens: ${formatTokens(summary.usage)}`,
    `- cost: ${formatUsd(summary.costUsd)}`,
    "",
    "| attempt | trigger | outcome | reason |",
    "|---|---|---|---|",
    attempts,
    "",
    "Comment `/retry [guidance]` on this pull request to have opforge try again.",
  ].join("\n");
}

export type StatusState =
  | { state: "queued" }
  | { state: "generating"; attempt: number }
  /** Without `prUrl`, GitHub's own `#n` link is the only one (the app may run against Enterprise Server). */
  | { state: "pr_opened"; prNumber: number; prUrl?: string; updated: boolean }
  | { state: "failed"; reason: string }
  | { state: "superseded" };

/**
 * The status comment; the spec's warnings (e.g. a dependency that excludes a version Airflow's constraints
 * pin) follow it, each with its field path and line, for as long as the comment tracks that spec.
 */
export function renderStatusComment(status: StatusState, warnings: readonly { path: string; message: string; line?: number }[] = []): string {
  const text = statusText(status);
  return warnings.length === 0 ? text : [text, "", "Spec warnings (these do not block generation):", ...warnings.map(findingItem)].join("\n");
}

function findingItem(f: { path: string; message: string; line?: number }): string {
  return `- \`${f.path}\`${f.line === undefined ? "" : ` (line ${f.line})`}: ${oneLine(f.message, 500)}`;
}

function statusText(status: StatusState): string {
  switch (status.state) {
    case "queued":
      return "⏳ **opforge**: the spec is valid; generation is queued.";
    case "generating":
      return `⚙️ **opforge**: generating (attempt ${status.attempt})…`;
    case "pr_opened": {
      const link = status.prUrl === undefined ? "" : `: ${status.prUrl}`;
      return status.updated
        ? `✅ **opforge**: pull request #${status.prNumber} was updated from the edited spec${link}`
        : `✅ **opforge**: opened pull request #${status.prNumber}${link}`;
    }
    case "failed":
      return `❌ **opforge**: generation failed. ${oneLine(status.reason, 1000)}`;
    case "superseded":
      return "↪️ **opforge**: the issue was edited while this run waited; the newer spec is being used.";
  }
}

export function renderSpecFindings(
  errors: { path: string; message: string; line?: number }[],
  warnings: { path: string; message: string; line?: number }[],
  label: string,
): string {
  const item = (f: { path: string; message: string; line?: number }) =>
    `- \`${f.path}\`${f.line === undefined ? "" : ` (line ${f.line})`}: ${oneLine(f.message, 500)}`;
  return [
    `❌ **opforge** cannot use this spec yet: ${errors.length} problem${errors.length === 1 ? "" : "s"} to fix.`,
    "",
    ...errors.map(item),
    ...(warnings.length > 0 ? ["", "Warnings (these do not block generation):", ...warnings.map(item)] : []),
    "",
    `Edit the issue body to fix them; opforge checks the spec again on every edit while the issue has the \`${label}\` label.`,
  ].join("\n");
}

/** What the spec findings comment becomes once the issue holds a valid spec. */
export function renderSpecResolved(): string {
  return "✅ **opforge**: the spec is valid now; the problems listed here before are fixed. Generation follows in the status comment.";
}

export function renderConfigErrors(errors: string[]): string {
  return [
    "❌ **opforge** cannot run: the repository configuration is invalid.",
    "",
    ...errors.map((e) => `- ${oneLine(e, 500)}`),
    "",
    "Fix `.github/opforge.yml` and edit this issue to try again.",
  ].join("\n");
}
