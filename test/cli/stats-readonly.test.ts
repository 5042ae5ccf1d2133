import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.js";

const STATS = new URL("../../src/cli/stats.ts", import.meta.url).pathname;
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) {
    chmodSync(join(dir, "ro"), 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
  dir = undefined;
});

/**
 * Runs `opforge stats --db <path>` as a user who cannot write the database's directory: this process when
 * it is not root (the directory's mode is enough), else a child running as nobody (root ignores modes).
 */
function statsAsReader(base: string, dbPath: string): { code: number | null; out: string } {
  const script = join(base, "stats.mjs");
  writeFileSync(
    script,
    `const { statsCommand } = await import(${JSON.stringify(STATS)});
let out = "";
const io = { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: ${JSON.stringify(base)}, env: {} };
const code = await statsCommand(["--db", ${JSON.stringify(dbPath)}], io);
process.stdout.write(JSON.stringify({ code, out }));
`,
  );
  const root = process.getuid?.() === 0;
  const result = spawnSync(process.execPath, ["--import", "tsx", script], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "", HOME: base },
    encoding: "utf8",
    timeout: 60_000,
    ...(root ? { uid: 65534, gid: 65534 } : {}),
  });
  if (result.status !== 0) return { code: result.status, out: `${result.stdout}${result.stderr}` };
  return JSON.parse(result.stdout) as { code: number; out: string };
}

describe("opforge stats on a WAL database in a read-only directory (issue 10, item 14)", () => {
  it("reads it without creating -wal or -shm files beside it", () => {
    dir = mkdtempSync(join(tmpdir(), "opforge-stats-ro-"));
    chmodSync(dir, 0o755);
    const ro = join(dir, "ro");
    const db = openDatabase(join(ro, "opforge.db"));
    db.close();
    chmodSync(ro, 0o555);

    const { code, out } = statsAsReader(dir, join(ro, "opforge.db"));
    expect(out).not.toContain("readonly database");
    expect(code).toBe(0);
    expect(out).toContain("First-attempt success by week and category");
    expect(readdirSync(ro)).toEqual(["opforge.db"]);
  }, 60_000);
});
