import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStatsCommand, formatTable, STATS_USAGE } from "../../src/cli/stats.js";
import type { CliIo } from "../../src/cli/io.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { fillHistory, NOW } from "../learn/metrics/fill.js";
import { openTestDatabase } from "../learn/metrics/test-db.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-stats-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    cwd: dir,
    env,
    out: () => out,
    err: () => err,
  };
}

const stats = createStatsCommand({ now: () => NOW });

async function makeDatabase(relative = "data/opforge.db"): Promise<string> {
  const db = openTestDatabase(join(dir, relative));
  try {
    await fillHistory(kyselyOverStore(db));
  } finally {
    db.close();
  }
  return relative;
}

describe("opforge stats", () => {
  it("prints aligned tables of the figures from the default database path", async () => {
    await makeDatabase();
    const io = capture();
    expect(await stats(["--installation", "42"], io)).toBe(0);
    expect(io.err()).toBe("");
    const text = io.out();
    expect(text).toContain("opforge stats: data/opforge.db, installation 42, 8 ISO weeks since 2026-10-05\n");
    expect(text).toContain(
      [
        "First-attempt success by week and category",
        "  week      category  generations  decided  first ok  rate",
        "  --------  --------  -----------  -------  --------  ----",
        "  2026-W45  http                2        2         1   50%",
        "  2026-W46  database            1        1         0    0%",
        "  2026-W47  database            1        1         1  100%",
        "  2026-W47  http                1        0         0     -",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "Attempts per generation",
        "  attempts  generations  share  succeeded",
        "  --------  -----------  -----  ---------",
        "         1            2    50%          2",
        "         2            1    25%          1",
        "         3            1    25%          0",
      ].join("\n"),
    );
    expect(text).toMatch(/ {2}\(all\) +5 +3 +\$0\.5200 +\$0\.1733 +13400\n/);
    expect(text).toMatch(/ {2}openai-compatible +qwen3-coder +1 +1 +\$0\.0200 +\$0\.0200 +4500\n/);
    expect(text).toContain(
      [
        "CI error kinds per week (from the attempts' CI failures)",
        "  week      kind                 count",
        "  --------  -------------------  -----",
        "  2026-W45  import                   1",
        "  2026-W45  lint                     1",
        "  2026-W46  dependency_conflict      1",
      ].join("\n"),
    );
    expect(text).toContain("  pattern library             0");
    expect(text).toMatch(/known library alternatives {2}\d+ for \d+ libraries \(\d+ provider hooks, 3 packages, 6 stdlib fallbacks\)/);
  });

  it("limits the window with --weeks and reads --db before OPFORGE_DB", async () => {
    const path = await makeDatabase("elsewhere/stats.db");
    const io = capture({ OPFORGE_DB: "missing.db" });
    expect(await stats(["--db", path, "--weeks", "2", "--installation", "42"], io)).toBe(0);
    expect(io.out()).toContain("opforge stats: elsewhere/stats.db, installation 42, 2 ISO weeks since 2026-11-16");
    expect(io.out()).not.toContain("2026-W45");
    expect(io.out()).toContain("2026-W47  database");
  });

  it("takes the path from OPFORGE_DB", async () => {
    const path = await makeDatabase("env.db");
    const io = capture({ OPFORGE_DB: path });
    expect(await stats(["--weeks", "1", "--installation", "42"], io)).toBe(0);
    expect(io.out()).toContain("opforge stats: env.db, installation 42, 1 ISO week since 2026-11-23");
    expect(io.out()).toContain("(no generations in this window)");
    expect(io.out()).toContain("(no attempts in this window)");
  });

  it("prints JSON with --json", async () => {
    await makeDatabase();
    const io = capture();
    expect(await stats(["--json", "--weeks", "8", "--installation", "42"], io)).toBe(0);
    const report = JSON.parse(io.out()) as Record<string, unknown>;
    expect(report).toMatchObject({
      database: "data/opforge.db",
      installationId: 42,
      sinceIso: "2026-10-05T00:00:00.000Z",
      weeks: 8,
      patternLibrarySize: 0,
      attempts: [
        { attempts: 1, generations: 2, share: 0.5, succeeded: 2 },
        { attempts: 2, generations: 1, share: 0.25, succeeded: 1 },
        { attempts: 3, generations: 1, share: 0.25, succeeded: 0 },
      ],
    });
    expect((report.firstAttemptByWeek as unknown[])[0]).toEqual({
      week: "2026-W45",
      category: "http",
      generations: 2,
      decided: 2,
      firstAttemptSuccesses: 1,
      rate: 0.5,
    });
  });

  it("reports one installation: another installation's and the command line's figures are apart", async () => {
    await makeDatabase();
    const other = capture();
    expect(await stats(["--installation", "43", "--json"], other)).toBe(0);
    expect(JSON.parse(other.out())).toMatchObject({ installationId: 43, attempts: [], firstAttemptByWeek: [] });
    const local = capture();
    expect(await stats([], local)).toBe(0);
    expect(local.out()).toContain("opforge stats: data/opforge.db, installation 0, 8 ISO weeks since 2026-10-05\n");
    expect(local.out()).toContain("(no generations in this window)");
  });

  it("exits 1 with a clear message for a missing database, and does not create it", async () => {
    const io = capture();
    expect(await stats(["--db", "nope/opforge.db"], io)).toBe(1);
    expect(io.err()).toBe(
      "opforge stats: no database at nope/opforge.db (from --db); pass --db PATH or set OPFORGE_DB to an existing opforge database, or OPFORGE_DATABASE_URL to a PostgreSQL one\n",
    );
    expect(io.out()).toBe("");
    const again = capture();
    expect(await stats([], again)).toBe(1);
    expect(again.err()).toContain("no database at data/opforge.db (from the default path)");
    expect(await stats(["--db", "nope/opforge.db"], capture())).toBe(1);
  });

  it("exits 1 when the file is not an opforge database", async () => {
    writeFileSync(join(dir, "notes.txt"), "not a database\n".repeat(100));
    const io = capture();
    expect(await stats(["--db", "notes.txt"], io)).toBe(1);
    expect(io.err()).toMatch(/^opforge stats: .*(not a database|file is not a database)/);
  });

  it("prints help and exits 0", async () => {
    const io = capture();
    expect(await stats(["--help"], io)).toBe(0);
    expect(io.out()).toBe(STATS_USAGE);
  });

  it.each([
    [["--weeks", "0"], /--weeks should be a whole number from 1 to 520, got "0"/],
    [["--weeks", "two"], /--weeks should be a whole number from 1 to 520, got "two"/],
    [["--weeks"], /--weeks/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["extra"], /extra/],
    [["--db", ""], /--db needs a path/],
    [["--installation", "acme"], /--installation must be an installation id \(a whole number\), got "acme"/],
  ])("exits 2 on usage error %j", async (argv, message) => {
    const io = capture();
    expect(await stats(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err()).toContain("Usage: opforge stats");
  });
});

describe("formatTable", () => {
  it("pads columns to the widest cell and right-aligns numbers", () => {
    expect(formatTable(["name", "n"], [["a", "10"], ["longer", "2"]], ["left", "right"])).toBe(
      ["  name     n", "  ------  --", "  a       10", "  longer   2"].join("\n"),
    );
  });
});
