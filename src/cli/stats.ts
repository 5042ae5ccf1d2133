import { parseArgs } from "node:util";
import { DB_DEFAULT_HELP, dbOptionProblem, errorText, openCliDatabase } from "./database.js";
import { INSTALLATION_OPTION_HELP, parseInstallation } from "./installation.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand } from "./io.js";
import { collectStats, type StatsReport } from "../learn/metrics/index.js";

export const DEFAULT_WEEKS = 8;

export const STATS_USAGE = `Usage: opforge stats [--db PATH] [--installation ID] [--json] [--weeks N]

Prints what the learning layer has measured: first-attempt success rate per ISO week and category,
how many attempts generations needed, cost per successful component (merged or CI-passed), CI error
kinds per week, the pattern library size and the known library alternatives — of one installation.

Options:
  --db PATH    a SQLite file to read, never created (default: the configured database,
               ${DB_DEFAULT_HELP})
${INSTALLATION_OPTION_HELP}
  --json       print the figures as one JSON object
  --weeks N    how many ISO weeks to show, the current one included (default ${DEFAULT_WEEKS})
  -h, --help   show this help

The database is only read: never created, migrated or written.

Exit status: 0 figures printed, 1 the database is missing or unreadable, 2 usage error.
`;

type Align = "left" | "right";

/** Columns padded to their widest cell; numbers are right-aligned so their digits line up. */
export function formatTable(headers: string[], rows: string[][], align: Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    `  ${cells
      .map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()}`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const percent = (value: number | null): string => (value === null ? "-" : `${Math.round(value * 100)}%`);
const usd = (value: number | null): string => (value === null ? "-" : `$${value.toFixed(4)}`);
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

function renderText(report: StatsReport, database: string): string {
  const out: string[] = [];
  out.push(`opforge stats: ${database}, installation ${report.installationId}, ${report.weeks} ISO week${report.weeks === 1 ? "" : "s"} since ${day(report.since)}\n`);

  out.push(
    section(
      "First-attempt success by week and category",
      report.firstAttemptByWeek.length === 0
        ? "  (no generations in this window)"
        : formatTable(
            ["week", "category", "generations", "decided", "first ok", "rate"],
            report.firstAttemptByWeek.map((r) => [r.week, r.category, String(r.generations), String(r.decided), String(r.firstAttemptSuccesses), percent(r.rate)]),
            ["left", "left", "right", "right", "right", "right"],
          ),
    ),
  );

  out.push(
    section(
      "Attempts per generation",
      report.attempts.length === 0
        ? "  (no attempts in this window)"
        : formatTable(
            ["attempts", "generations", "share", "succeeded"],
            report.attempts.map((r) => [String(r.attempts), String(r.generations), percent(r.share), String(r.succeeded)]),
            ["right", "right", "right", "right"],
          ),
    ),
  );

  out.push(
    section(
      "Cost per successful component (merged or CI passed)",
      formatTable(
        ["provider", "model", "generations", "successful", "cost", "per success", "tokens"],
        report.cost.map((r) => [
          r.provider ?? "(all)",
          r.model ?? "",
          String(r.generations),
          String(r.successfulComponents),
          usd(r.totalCostUsd),
          usd(r.costPerSuccessUsd),
          String(r.totalTokens),
        ]),
        ["left", "left", "right", "right", "right", "right", "right"],
      ),
    ),
  );

  const from = report.errorKinds.source === "error_signatures" ? "error store" : "attempts' CI failures";
  out.push(
    section(
      `CI error kinds per week (from the ${from})`,
      report.errorKinds.rows.length === 0
        ? "  (no CI failures in this window)"
        : formatTable(
            ["week", "kind", "count"],
            report.errorKinds.rows.map((r) => [r.week, r.kind, String(r.count)]),
            ["left", "left", "right"],
          ),
    ),
  );

  const alt = report.libraryAlternatives;
  out.push(
    section(
      "Stores",
      formatTable(
        ["store", "size"],
        [
          ["pattern library", String(report.patternLibrarySize)],
          [
            "known library alternatives",
            `${alt.alternatives} for ${alt.libraries} libraries (${alt.providerHooks} provider hooks, ${alt.packages} packages, ${alt.stdlibFallbacks} stdlib fallbacks)`,
          ],
        ],
        ["left", "left"],
      ),
    ),
  );
  return out.join("\n");
}

export interface StatsCommandOptions {
  /** Epoch-millisecond clock; the window of weeks ends at its reading. */
  now?: () => number;
}

/** `opforge stats` with an injectable clock, so tests get exact weeks. */
export function createStatsCommand(options: StatsCommandOptions = {}): CliCommand {
  const now = options.now ?? Date.now;
  return async (argv, io) => {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: false,
        strict: true,
        options: {
          db: { type: "string" },
          installation: { type: "string" },
          json: { type: "boolean" },
          weeks: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (error) {
      io.stderr(`opforge stats: ${(error as Error).message}\n\n${STATS_USAGE}`);
      return EXIT_USAGE;
    }
    if (parsed.values.help) {
      io.stdout(STATS_USAGE);
      return EXIT_OK;
    }
    let weeks = DEFAULT_WEEKS;
    if (parsed.values.weeks !== undefined) {
      const text = parsed.values.weeks.trim();
      weeks = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(weeks) || weeks < 1 || weeks > 520) {
        io.stderr(`opforge stats: --weeks should be a whole number from 1 to 520, got "${parsed.values.weeks}"\n\n${STATS_USAGE}`);
        return EXIT_USAGE;
      }
    }
    const installationId = parseInstallation(parsed.values.installation);
    if (typeof installationId === "string") {
      io.stderr(`opforge stats: ${installationId}\n\n${STATS_USAGE}`);
      return EXIT_USAGE;
    }
    const dbProblem = dbOptionProblem(parsed.values.db);
    if (dbProblem !== undefined) {
      io.stderr(`opforge stats: ${dbProblem}\n\n${STATS_USAGE}`);
      return EXIT_USAGE;
    }

    const db = await openCliDatabase(parsed.values.db, io, "read");
    if (typeof db === "string") {
      io.stderr(`opforge stats: ${db}\n`);
      return EXIT_INVALID_INPUT;
    }
    const shown = db.target.shown;
    let report: StatsReport;
    try {
      report = await collectStats(db.kysely, installationId, { now: now(), weeks });
    } catch (error) {
      io.stderr(`opforge stats: ${errorText(error, db.target)}\n`);
      return EXIT_INVALID_INPUT;
    } finally {
      await db.close();
    }

    if (parsed.values.json) {
      io.stdout(`${JSON.stringify({ database: shown, sinceIso: new Date(report.since).toISOString(), ...report }, null, 2)}\n`);
    } else {
      io.stdout(renderText(report, shown));
    }
    return EXIT_OK;
  };
}

/** `opforge stats [--db PATH] [--json] [--weeks N]`: the learning layer's figures. */
export const statsCommand: CliCommand = createStatsCommand();
