import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import type { CliIo } from "../../src/cli/io.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
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
    const [generation] = await listGenerations(kyselyOverStore(db));
    expect(generation?.componentName).toBe("HttpApiOperator");
    expect(generation?.status).toBe("succeeded");
    const attempts = await listAttempts(kyselyOverStore(db), generation?.id ?? 0);
    expect(attempts.map((a) => [a.number, a.outcome, a.strategy])).toEqual([[1, "validated", "fresh"]]);
    expect(attempts[0]?.files.map((f) => f.path)).toEqual([
      "plugins/operators/http_api_operator.py",
      "tests/operators/test_http_api_operator.py",
      "dags/examples/http_api_operator_example_dag.py",
    ]);
    db.close();

  });

  it("each local run of one spec is its own generation, so six first-try successes are six generations of one attempt (issue 10, item 15)", async () => {
    for (let run = 0; run < 6; run++) {
      expect(await generateCommand([EXAMPLE, "--out", "out", "--db", "state/opforge.db"], capture())).toBe(0);
    }
    const db = openDatabase(join(dir, "state/opforge.db"));
    const generations = await listGenerations(kyselyOverStore(db));
    expect(generations).toHaveLength(6);
    expect(await Promise.all(generations.map(async (g) => [g.status, g.finalOutcome, (await listAttempts(kyselyOverStore(db), g.id)).length]))).toEqual(
      Array.from({ length: 6 }, () => ["succeeded", "written_locally", 1]),
    );
    db.close();
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

describe("opforge generate writes all its files or none (issue 10, item 9)", () => {
  it("--out naming an existing file: one clear line, exit 1, before any model call", async () => {
    writeFileSync(join(dir, "taken"), "not a directory\n");
    const io = capture({ OPFORGE_DB: "state/opforge.db" });
    expect(await generateCommand([EXAMPLE, "--out", "taken"], io)).toBe(1);
    expect(io.err()).toBe("opforge generate: --out taken exists and is not a directory\n");
    expect(readFileSync(join(dir, "taken"), "utf8")).toBe("not a directory\n");
    expect(existsSync(join(dir, "state"))).toBe(false);
  });

  it("when the third file cannot be written the first two are not left behind, and the record says the write failed", async () => {
    // The example DAG's directory is taken by a file: the third of the three files cannot be placed.
    mkdirSync(join(dir, "out/dags"), { recursive: true });
    writeFileSync(join(dir, "out/dags/examples"), "in the way\n");
    const io = capture({ OPFORGE_DB: "state/opforge.db" });
    expect(await generateCommand([EXAMPLE, "--out", "out"], io)).toBe(1);
    expect(io.err()).toBe(
      "opforge generate: cannot write out/dags/examples/http_api_operator_example_dag.py: out/dags/examples is not a directory; no files written\n",
    );
    expect(io.err()).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, "out/plugins"))).toBe(false);
    expect(existsSync(join(dir, "out/tests"))).toBe(false);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["dags"]);
    const db = openDatabase(join(dir, "state/opforge.db"));
    expect((await listGenerations(kyselyOverStore(db))).map((g) => [g.status, g.finalOutcome])).toEqual([["failed", "write_failed"]]);
    db.close();
  });

  it("replaces files from an earlier run in place, keeping their mode", async () => {
    expect(await generateCommand([EXAMPLE, "--out", "out", "--no-record"], capture())).toBe(0);
    const component = join(dir, "out/plugins/operators/http_api_operator.py");
    chmodSync(component, 0o640);
    writeFileSync(component, "# edited\n");
    expect(await generateCommand([EXAMPLE, "--out", "out", "--no-record"], capture())).toBe(0);
    expect(readFileSync(component, "utf8")).toContain("class HttpApiOperator");
    expect(statSync(component).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, "out")).filter((n) => n.startsWith(".opforge-"))).toEqual([]);
  });
});
