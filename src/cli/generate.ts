import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { LOCAL_INSTALLATION_ID } from "../learn/scope.js";
import { runAttempts } from "../generate/attempts.js";
import { componentLayout, placeFiles } from "../generate/layout.js";
import { perRunGate } from "../generate/budget.js";
import { PriceConfigError, priceTableFromEnv, type PriceTable } from "../generate/prices.js";
import { PROVIDER_NAMES, ProviderConfigError, providerFromEnv } from "../generate/providers/index.js";
import type { AttemptResult, ModelProvider, TokenUsage } from "../generate/types.js";
import { LocalCheck, type FileCheck } from "../pipeline/local-check.js";
import { formatFindings, parseSpecFile } from "../spec/index.js";
import { Learning, type LearnedContext } from "../learn/loop.js";
import { DB_DEFAULT_HELP, dbOptionProblem, errorText, openCliDatabase, type CliDatabase } from "./database.js";
import { openLocalRecord, type LocalRecord } from "./local-record.js";
import type { ComponentSpec } from "../spec/types.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import { WriteFilesError, writeFilesTogether } from "./write-together.js";

export const GENERATE_USAGE = `Usage: opforge generate <spec.yaml> [--out DIR] [--provider P] [--model M] [--max-attempts N] [--budget-usd N] [--db PATH | --no-record]

Generates an Airflow component from a spec file: the component module, its pytest module and an
example DAG, written under DIR as plugins/{operators,sensors,hooks}/<name>.py,
tests/operators/test_<name>.py and dags/examples/<name>_example_dag.py.

Options:
  --out DIR           output directory (default: out)
  --provider P        ${PROVIDER_NAMES.join(" | ")} (default: OPFORGE_PROVIDER, else anthropic when
                      ANTHROPIC_API_KEY is set, else openai-compatible when OPFORGE_OPENAI_BASE_URL is
                      set, else scaffold, which renders a starting point from the spec without a model)
  --model M           model id (default: OPFORGE_MODEL, else claude-sonnet-5-5 for anthropic)
  --max-attempts N    tries before giving up, 1-10 (default: 2); each failure is shown to the next try
  --budget-usd N      hard limit in USD on this run's model calls: each call (retries included) is made
                      only if its worst-case cost still fits, and a model with no price is refused
                      (default: no limit)
  --db PATH           a SQLite file to record every attempt in, created when missing (default:
                      ${DB_DEFAULT_HELP})
  --no-record         do not record the attempts
  -h, --help          show this help

Environment: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPFORGE_OPENAI_BASE_URL, OPFORGE_OPENAI_API_KEY,
OPFORGE_PROVIDER, OPFORGE_MODEL, OPFORGE_MODEL_MAX_RETRIES, OPFORGE_MODEL_TIMEOUT_MS, OPFORGE_PRICES
(JSON: {"model": {"input": USD, "output": USD, ...}} per million tokens), OPFORGE_DATABASE_URL (a
PostgreSQL database), OPFORGE_DB.

Every attempt's files are checked and repaired locally (syntax, imports, Airflow rules, security) before
they are written; an error left after repair fails the attempt and is shown to the next one.

Exit status: 0 files written, 1 invalid spec or every attempt failed, 2 usage error.
`;

interface Options {
  specPath: string;
  outDir: string;
  provider?: string;
  model?: string;
  maxAttempts: number;
  /** null: no limit. */
  budgetUsd: number | null;
  /** Where attempts are recorded: false for --no-record, undefined for the configured database. */
  db: string | undefined | false;
}

const CLI_BUDGET_WORDS = {
  limitName: "the run's budget (--budget-usd)",
  raiseHint: "raise --budget-usd",
  disableHint: "run without --budget-usd",
} as const;

function usageError(io: CliIo, message: string): number {
  io.stderr(`opforge generate: ${message}\n\n${GENERATE_USAGE}`);
  return EXIT_USAGE;
}

function readOptions(argv: string[]): Options | { help: true } | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: "string" },
        provider: { type: "string" },
        model: { type: "string" },
        "max-attempts": { type: "string" },
        "budget-usd": { type: "string" },
        db: { type: "string" },
        "no-record": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (parsed.values.help) return { help: true };
  if (parsed.positionals.length !== 1) {
    return { error: parsed.positionals.length === 0 ? "missing the spec file" : `expected one spec file, got ${parsed.positionals.length}` };
  }
  const rawAttempts = parsed.values["max-attempts"] ?? "2";
  const maxAttempts = Number(rawAttempts);
  if (!/^\d+$/.test(rawAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    return { error: `--max-attempts must be a whole number from 1 to 10, got "${rawAttempts}"` };
  }
  const rawBudget = parsed.values["budget-usd"];
  const budgetUsd = rawBudget === undefined ? null : Number(rawBudget);
  if (rawBudget !== undefined && (!/^\d+(\.\d+)?$/.test(rawBudget) || !Number.isFinite(budgetUsd))) {
    return { error: `--budget-usd must be an amount of USD such as 0.50, got "${rawBudget}"` };
  }
  if (parsed.values.out === "") return { error: "--out needs a directory" };
  if (parsed.values.db !== undefined && parsed.values["no-record"]) return { error: "--db and --no-record exclude each other" };
  const dbProblem = dbOptionProblem(parsed.values.db);
  if (dbProblem !== undefined) return { error: dbProblem };
  return {
    specPath: parsed.positionals[0] ?? "",
    outDir: parsed.values.out ?? "out",
    provider: parsed.values.provider,
    model: parsed.values.model,
    maxAttempts,
    budgetUsd,
    db: parsed.values["no-record"] ? false : parsed.values.db,
  };
}

function tokens(u: TokenUsage): string {
  return `${u.input} in, ${u.output} out, ${u.cacheRead} cache read, ${u.cacheWrite} cache write`;
}

function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

function attemptLine(attempt: AttemptResult, index: number): string {
  const seconds = `${(attempt.durationMs / 1000).toFixed(1)} s`;
  const head = `attempt ${index + 1}: ${attempt.ok ? "ok" : `failed (${attempt.kind})`} in ${seconds}`;
  const cost = attempt.priceKnown ? usd(attempt.costUsd) : "price unknown";
  const lines = [`${head}; tokens ${tokens(attempt.usage)}; ${cost}`];
  if (!attempt.ok) lines.push(`  reason: ${attempt.reason}`);
  else for (const note of attempt.notes) lines.push(`  note: ${note}`);
  return lines.join("\n");
}

/** One line per file: what the local pass found and repaired. */
function checkLines(checks: FileCheck[], paths: Record<string, string>): string[] {
  return checks.map((c) => {
    const errors = c.report.findings.filter((f) => f.severity === "error");
    const warnings = c.report.findings.length - errors.length;
    const repairs = c.applied.length === 0 ? "" : `; repaired: ${c.applied.map((a) => a.rule).join(", ")}`;
    const first = errors[0];
    const detail = first === undefined ? "" : ` (first: line ${first.line}: ${first.rule}: ${first.message})`;
    return `  check ${paths[c.role] ?? c.path}: ${errors.length} error(s), ${warnings} warning(s)${repairs}${detail}`;
  });
}

function sumUsage(attempts: AttemptResult[]): TokenUsage {
  return attempts.reduce(
    (sum, a) => ({
      input: sum.input + a.usage.input,
      output: sum.output + a.usage.output,
      cacheRead: sum.cacheRead + a.usage.cacheRead,
      cacheWrite: sum.cacheWrite + a.usage.cacheWrite,
    }),
    { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );
}

function displayPath(io: CliIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

async function loadSpec(io: CliIo, specPath: string): Promise<ComponentSpec | undefined> {
  let result;
  try {
    result = await parseSpecFile(resolve(io.cwd, specPath));
  } catch (error) {
    io.stderr(`opforge generate: ${(error as Error).message.replace(`"${resolve(io.cwd, specPath)}"`, `"${specPath}"`)}\n`);
    return undefined;
  }
  if (!result.ok) {
    io.stderr(`opforge generate: ${specPath} is not a valid component spec:\n`);
    io.stderr(`${formatFindings([...result.errors, ...result.warnings], specPath)}\n`);
    return undefined;
  }
  if (result.warnings.length > 0) io.stderr(`${formatFindings(result.warnings, specPath)}\n`);
  return result.spec;
}

export const generateCommand: CliCommand = async (argv, io) => {
  const options = readOptions(argv);
  if ("help" in options) {
    io.stdout(GENERATE_USAGE);
    return EXIT_OK;
  }
  if ("error" in options) return usageError(io, options.error);

  let provider: ModelProvider;
  let prices: PriceTable;
  try {
    provider = providerFromEnv(io.env, { provider: options.provider, model: options.model });
    prices = priceTableFromEnv(io.env);
  } catch (error) {
    if (error instanceof ProviderConfigError || error instanceof PriceConfigError) return usageError(io, error.message);
    throw error;
  }

  const outDir = resolve(io.cwd, options.outDir);
  // Said before the model is paid: an --out that names a file can never receive the files.
  const outStat = statSync(outDir, { throwIfNoEntry: false });
  if (outStat !== undefined && !outStat.isDirectory()) {
    io.stderr(`opforge generate: --out ${options.outDir} exists and is not a directory\n`);
    return EXIT_INVALID_INPUT;
  }

  const spec = await loadSpec(io, options.specPath);
  if (!spec) return EXIT_INVALID_INPUT;

  const layout = componentLayout(spec);
  const out: string[] = [];
  const say = (line: string): void => {
    out.push(line);
    io.stdout(`${line}\n`);
  };
  say(`opforge generate: ${spec.name} (${spec.component_type}, Airflow ${spec.airflow_version}) from ${options.specPath}`);
  say(provider.name === "scaffold" ? "provider: scaffold (scaffold: no model was called)" : `provider: ${provider.name}`);
  say(`model: ${provider.model}`);

  let record: LocalRecord | null = null;
  let db: CliDatabase | null = null;
  let learned: LearnedContext = { learned: [], rules: [] };
  if (options.db !== false) {
    const opened = await openCliDatabase(options.db, io, "create");
    if (typeof opened === "string") {
      io.stderr(`opforge generate: ${opened}\n`);
      return EXIT_INVALID_INPUT;
    }
    db = opened;
    const { config } = db.target;
    const where = config.dialect === "sqlite" ? displayPath(io, config.path) : db.target.shown;
    try {
      record = await openLocalRecord(db.kysely, config.dialect === "sqlite" ? config.path : db.target.shown, spec, provider);
      // What earlier generations taught goes into this one too (prompt context and learned repairs).
      // Local runs are recorded under the command line's own installation (0) and read only its knowledge.
      learned = await new Learning(db.kysely, { now: Date.now, random: Math.random }).contextFor(spec, { installationId: LOCAL_INSTALLATION_ID, repository: null });
    } catch (error) {
      await db.close();
      io.stderr(`opforge generate: cannot use the database ${where} (from ${db.target.source}): ${errorText(error, db.target)}\n`);
      return EXIT_INVALID_INPUT;
    }
    if (learned.learned.length > 0 || learned.rules.length > 0) {
      say(`learned context: ${learned.learned.length} item(s), ${learned.rules.length} rule(s) applied automatically`);
    }
  }
  const check = new LocalCheck(learned.rules, { componentModule: layout.componentModule });
  const gate = options.budgetUsd === null ? undefined : perRunGate(options.budgetUsd, CLI_BUDGET_WORDS);
  if (options.budgetUsd !== null) say(`budget: ${usd(options.budgetUsd)} for this run`);
  let outcome;
  try {
    outcome = await runAttempts(spec, { learned: learned.learned, componentModule: layout.componentModule }, provider, {
      maxAttempts: options.maxAttempts,
      prices,
      check: check.check,
      ...(gate === undefined ? {} : { gate }),
      onAttempt: async (attempt, index) => {
        await record?.attempt(attempt, placeFiles(attempt.ok ? attempt.files : (attempt.files ?? []), layout), check.last);
        say(attemptLine(attempt, index));
        for (const line of checkLines(check.last, layout.paths)) say(line);
      },
    });
  } catch (error) {
    await record?.close("generation_failed");
    await db?.close();
    throw error;
  }
  const finish = async (result: "written" | "generation_failed" | "write_failed"): Promise<void> => {
    await record?.close(result);
    await db?.close();
  };

  const total = sumUsage(outcome.attempts);
  const allPriced = outcome.attempts.every((a) => a.priceKnown);
  const costText = allPriced
    ? usd(outcome.attempts.reduce((sum, a) => sum + a.costUsd, 0))
    : `unknown (no price for model "${provider.model}"; add it to OPFORGE_PRICES)`;

  if (!outcome.final) {
    say(`tokens: ${tokens(total)}`);
    say(`cost: ${costText}`);
    await finish("generation_failed");
    io.stderr(
      outcome.refused !== undefined
        ? `opforge generate: ${outcome.refused.reason}\nno files written\n`
        : `opforge generate: all ${outcome.attempts.length} attempt(s) failed; no files written\n`,
    );
    return EXIT_INVALID_INPUT;
  }

  const facts = outcome.final.apiFacts;
  if (facts.length > 0) {
    const sources = [...new Set(facts.map((f) => `Airflow ${f.source.version}, ${f.source.ref} @ ${f.source.commit.slice(0, 10)}`))].join("; ");
    say(`airflow api facts in the prompt (${sources}):`);
    for (const f of facts) {
      const conn = f.connection ? `; connection ${f.connection.param}${f.connection.default === undefined ? "" : `=${JSON.stringify(f.connection.default)}`}` : "";
      say(`  ${f.name}: ${f.importStatements.join(" | ")}${conn}${f.methods.length > 0 ? `; methods ${f.methods.map((m) => m.name).join(", ")}` : ""}`);
    }
  }
  // All files or none: a failure part-way leaves nothing behind, and the record says the write failed.
  let written: string[];
  try {
    written = writeFilesTogether(outDir, placeFiles(outcome.final.files, layout), (p) => displayPath(io, p));
  } catch (error) {
    await finish("write_failed");
    if (!(error instanceof WriteFilesError)) throw error;
    say(`tokens: ${tokens(total)}`);
    say(`cost: ${costText}`);
    io.stderr(`opforge generate: ${error.message}; no files written\n`);
    return EXIT_INVALID_INPUT;
  }
  await finish("written");
  say(outcome.final.scaffold ? "files written (scaffold: complete the TODOs):" : "files written:");
  for (const target of written) say(`  ${displayPath(io, target)}`);
  say(`tokens: ${tokens(total)}`);
  say(`cost: ${costText}`);
  if (record !== null) say(`recorded: ${record.description}`);
  return EXIT_OK;
};
