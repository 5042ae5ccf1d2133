import { parseArgs } from "node:util";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import { cliScope, INSTALLATION_OPTION_HELP, parseInstallation } from "./installation.js";
import { DB_DEFAULT_HELP, dbOptionProblem, openCliDatabase } from "./database.js";
import type { RuleStatus, StoredRule } from "../learn/fixes/store.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

export const RULES_USAGE = `Usage: opforge rules list [--status S] [--installation ID] [--db PATH] [--json]
       opforge rules show ID [--installation ID] [--db PATH] [--json]
       opforge rules trust ID [--installation ID] [--db PATH]
       opforge rules discard ID [--installation ID] [--db PATH]

The rewrite rules opforge learned from human fixes (opforge learn, merged PRs). A trusted rule is applied
by the repair pass (and by opforge validate --fix --learned); a candidate is offered to the model as
guidance until it is trusted or its record is good enough; a discarded rule is never used again, even if
learned again; an archived one was folded into a more general rule or kept failing. Rules belong to the
installation that taught them: these commands see and change one installation's rules only.

Options:
  --status <s>   list only rules with this status: candidate, trusted, discarded or archived
  --db <path>    a SQLite file to use, never created (default: the configured database,
                 ${DB_DEFAULT_HELP})
${INSTALLATION_OPTION_HELP}
  --json         print the rules as JSON
  -h, --help     show this help

Exit status: 0 done, 1 no such rule or no database, 2 usage error.
`;

const STATUSES: readonly RuleStatus[] = ["candidate", "trusted", "discarded", "archived"];

/** A rule as the CLI prints it in JSON. */
export function ruleJson(rule: StoredRule, confidence: number): Record<string, unknown> {
  return {
    id: rule.id,
    status: rule.status,
    engine: rule.engine,
    description: rule.description,
    before: rule.before,
    after: rule.after,
    context: rule.context,
    sites: rule.sites,
    confidence: Number(confidence.toFixed(3)),
    successes: rule.successes,
    failures: rule.failures,
    applications: rule.applications,
    reverts: rule.reverts,
    mergedInto: rule.mergedInto,
    sources: rule.sources,
  };
}

export function sourceLine(s: StoredRule["sources"][number]): string {
  const commit = s.commitSha ? ` ${s.commitSha.slice(0, 7)}` : "";
  const where = s.prNumber > 0 ? `${s.repo}#${s.prNumber}${commit}` : `${s.repo}${commit}`;
  const who = s.author ? ` by ${s.author}` : "";
  const when = s.committedAt ? ` on ${s.committedAt.slice(0, 10)}` : "";
  return `${where}${who}${when} (${s.path})`;
}

function showRule(rule: StoredRule, confidence: number): string {
  const lines = [
    `rule #${rule.id} (${rule.status}, ${rule.engine === "tree" ? "tree rule" : "line pattern"})`,
    `  ${rule.description}`,
    `  before:  ${rule.before.split("\n").join("\n           ")}`,
    `  after:   ${rule.after.split("\n").join("\n           ")}`,
    `  learned where: ${rule.context === "" ? "module level" : rule.context}; changed ${rule.sites} place${rule.sites === 1 ? "" : "s"} in its fix`,
    `  record:  ${rule.successes} passed, ${rule.failures} failed, ${rule.applications} applications, ${rule.reverts} reverted; confidence ${confidence.toFixed(2)}`,
  ];
  if (rule.mergedInto !== null) lines.push(`  folded into rule #${rule.mergedInto}`);
  for (const s of rule.sources) lines.push(`  from ${sourceLine(s)}`);
  return `${lines.join("\n")}\n`;
}

function parseId(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : undefined;
}

/** Runs `run` on the database, which must exist: looking at rules never creates one. */
async function withDb(given: string | undefined, io: CliIo, run: (db: Kysely<Tables>) => Promise<number>): Promise<number> {
  const db = await openCliDatabase(given, io, "change");
  if (typeof db === "string") {
    io.stderr(`opforge rules: ${db}\n`);
    return EXIT_INVALID_INPUT;
  }
  try {
    return await run(db.kysely);
  } finally {
    await db.close();
  }
}

/** `opforge rules list|show|trust|discard`. */
export const rulesCommand: CliCommand = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        status: { type: "string" },
        db: { type: "string" },
        installation: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.stderr(`opforge rules: ${(error as Error).message}\n\n${RULES_USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(RULES_USAGE);
    return EXIT_OK;
  }
  const [action, idText, ...extra] = positionals;
  const usage = (message: string): number => {
    io.stderr(`opforge rules: ${message}\n\n${RULES_USAGE}`);
    return EXIT_USAGE;
  };
  if (action === undefined) return usage("name an action: list, show, trust or discard");
  const dbProblem = dbOptionProblem(values.db);
  if (dbProblem !== undefined) return usage(dbProblem);
  const installation = parseInstallation(values.installation);
  if (typeof installation === "string") return usage(installation);
  const scope = cliScope(installation);
  const { confidenceOf, discardRules, getRule, listRules, promoteRules } = await import("../learn/fixes/store.js");
  if (action === "list") {
    if (idText !== undefined) return usage(`list takes no arguments, got "${idText}"`);
    if (values.status !== undefined && !STATUSES.includes(values.status as RuleStatus)) return usage(`--status must be one of ${STATUSES.join(", ")}, not "${values.status}"`);
    return withDb(values.db, io, async (db) => {
      const rules = await listRules(db, scope, values.status === undefined ? {} : { status: values.status as RuleStatus });
      if (values.json) {
        io.stdout(`${JSON.stringify({ rules: rules.map((r) => ruleJson(r, confidenceOf(r))) }, null, 2)}\n`);
        return EXIT_OK;
      }
      if (rules.length === 0) {
        io.stdout(values.status === undefined ? "no rules learned yet\n" : `no ${values.status} rules\n`);
        return EXIT_OK;
      }
      const width = Math.max(...rules.map((r) => String(r.id).length));
      for (const r of rules) {
        const places = r.sites > 1 ? `, ${r.sites} places` : "";
        io.stdout(`#${String(r.id).padEnd(width)}  ${r.status.padEnd(9)}  ${r.description}  (${r.sources.length} source${r.sources.length === 1 ? "" : "s"}${places}, confidence ${confidenceOf(r).toFixed(2)})\n`);
      }
      return EXIT_OK;
    });
  }
  if (!["show", "trust", "discard"].includes(action)) return usage(`unknown action "${action}"`);
  if (idText === undefined) return usage(`${action} needs a rule id`);
  if (extra.length > 0) return usage(`${action} takes one rule id`);
  const id = parseId(idText);
  if (id === undefined) return usage(`rule id must be a positive integer, not "${idText}"`);
  if (values.status !== undefined) return usage("--status goes with list");
  return withDb(values.db, io, async (db) => {
    const rule = await getRule(db, scope, id);
    if (!rule) {
      io.stderr(`opforge rules: no rule #${id} in installation ${installation}\n`);
      return EXIT_INVALID_INPUT;
    }
    if (action === "show") {
      io.stdout(values.json ? `${JSON.stringify(ruleJson(rule, confidenceOf(rule)), null, 2)}\n` : showRule(rule, confidenceOf(rule)));
      return EXIT_OK;
    }
    const [updated] = action === "trust" ? await promoteRules(db, scope, [id]) : await discardRules(db, scope, [id]);
    const now = updated as StoredRule;
    io.stdout(values.json ? `${JSON.stringify(ruleJson(now, confidenceOf(now)), null, 2)}\n` : `rule #${id} is now ${now.status}: ${now.description}\n`);
    return EXIT_OK;
  });
};
