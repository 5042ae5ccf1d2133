import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import type { CliIo } from "../../src/cli/io.js";
import { openDatabase } from "../../src/store/database.js";
import { listAttempts, listGenerations } from "../../src/store/generations.js";

const EXAMPLE = new URL("../../examples/specs/http_operator.yaml", import.meta.url).pathname;

let dir: string;
function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { stdout: (t) => void (out += t), stderr: (t) => void (err += t), cwd: dir, env, out: () => out, err: () => err };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-generate-record-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("opforge generate records every attempt", () => {
  it("stores the generation and its validated attempt in the SQLite file named by OPFORGE_DB", async () => {
    const io = capture({ OPFORGE_DB: "state/opforge.db" });
    expect(await generateCommand([EXAMPLE, "--out", "out"], io)).toBe(0);
    expect(io.out()).toContain("check plugins/operators/http_api_operator.py: 0 error(s)");
    expect(io.out()).toMatch(/recorded: .*state\/opforge\.db \(generation 1\)/);
    const db = openDatabase(join(dir, "state/opforge.db"));
    const [generation] = listGenerations(db);
    expect(generation?.componentName).toBe("HttpApiOperator");
    expect(generation?.status).toBe("succeeded");
    const attempts = listAttempts(db, generation?.id ?? 0);
    expect(attempts.map((a) => [a.number, a.outcome, a.strategy])).toEqual([[1, "validated", "fresh"]]);
    expect(attempts[0]?.files.map((f) => f.path)).toEqual([
      "plugins/operators/http_api_operator.py",
      "tests/operators/test_http_api_operator.py",
      "dags/examples/http_api_operator_example_dag.py",
    ]);
    db.close();

    // A second run of the same spec adds its attempt to the same generation.
    expect(await generateCommand([EXAMPLE, "--out", "out", "--db", "state/opforge.db"], capture())).toBe(0);
    const again = openDatabase(join(dir, "state/opforge.db"));
    expect(listGenerations(again)).toHaveLength(1);
    expect(listAttempts(again, generation?.id ?? 0)).toHaveLength(2);
    again.close();
  });

  it("creates no database with --no-record", async () => {
    writeFileSync(join(dir, "spec.yaml"), readFileSync(EXAMPLE, "utf8"));
    const io = capture();
    expect(await generateCommand(["spec.yaml", "--no-record"], io)).toBe(0);
    expect(io.out()).not.toContain("recorded:");
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  it("refuses --db together with --no-record", async () => {
    const io = capture();
    expect(await generateCommand([EXAMPLE, "--db", "x.db", "--no-record"], io)).toBe(2);
    expect(io.err()).toContain("--db and --no-record exclude each other");
  });
});
