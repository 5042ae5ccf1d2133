import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { validateCommand } from "../../src/cli/validate.js";
import type { FileJob } from "../../src/cli/validate-files.js";
import { createChecker, writeFileAtomic } from "../../src/cli/validate-files.js";
import { checkInPool, planPool, POOL_MIN_BYTES } from "../../src/cli/validate-pool.js";
import { FIXTURES } from "../python/helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-pool-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}

async function validate(cwd: string, argv: string[], workers: string): Promise<Run> {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    cwd,
    env: { OPFORGE_VALIDATE_WORKERS: workers },
  };
  const code = await validateCommand(argv, io);
  return { code, out, err };
}

const BROKEN_OPERATOR = `from airflow.models.baseoperator import BaseOperator


class SizeOperator(BaseOperator):
    template_fields = ("path")

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def execute(self, context):
        return len(self.path)
`;

/** A project of several dozen files: the good and broken fixtures, a DAG folder, a test module, CRLF lines. */
function makeProject(root: string): void {
  const copy = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from).filter((n) => n.endsWith(".py"))) cpSync(join(from, name), join(to, name));
  };
  copy(join(FIXTURES, "good"), join(root, "pkg", "good"));
  copy(join(FIXTURES, "broken"), join(root, "pkg", "broken"));
  mkdirSync(join(root, "pkg", "dags"), { recursive: true });
  writeFileSync(join(root, "pkg", "dags", "example.py"), "from airflow import DAG\n\nVALUE = Variable.get('x')\n");
  mkdirSync(join(root, "pkg", "tests"), { recursive: true });
  writeFileSync(join(root, "pkg", "tests", "test_size.py"), "import pytest\n\n\ndef test_it():\n    assert missing_name\n");
  writeFileSync(join(root, "pkg", "size_operator.py"), BROKEN_OPERATOR);
  writeFileSync(join(root, "pkg", "size_operator_crlf.py"), BROKEN_OPERATOR.replace(/\n/g, "\r\n"));
}

/** Every file under a directory with its content, by relative path. */
function contents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(root, path)] = readFileSync(path, "utf8");
    }
  };
  walk(root);
  return out;
}

describe("validate on worker threads", () => {
  // Each pooled run starts worker threads that load the validator through tsx: a second or more apiece.
  it("reports a directory exactly as one thread does: text, --json and --sarif, exit codes", { timeout: 120_000 }, async () => {
    makeProject(dir);
    for (const format of [["--airflow", "2"], ["--json"], ["--sarif", "--airflow", "3"]]) {
      const single = await validate(dir, ["pkg", "missing.py", ...format], "0");
      const pooled = await validate(dir, ["pkg", "missing.py", ...format], "2");
      expect(single.code).toBe(2);
      expect(single.err).toBe("opforge validate: cannot read missing.py: no such file or directory\n");
      expect(pooled).toEqual(single);
    }
    const single = await validate(dir, ["pkg"], "0");
    expect(single.code).toBe(1);
    expect(single.out).toMatch(/^\d+ files checked: \d+ errors, \d+ warnings\n$/m);
    expect(await validate(dir, ["pkg"], "2")).toEqual(single);
  });

  it("hands every file to the workers and returns the outcomes in input order", { timeout: 60_000 }, async () => {
    makeProject(dir);
    const jobs: FileJob[] = readdirSync(join(dir, "pkg", "broken"))
      .sort()
      .map((name) => ({ abs: join(dir, "pkg", "broken", name), shown: join("broken", name) }));
    jobs.push({ abs: join(dir, "gone.py"), shown: "gone.py" });
    const settings = { base: { airflowVersion: "both" as const }, cwd: dir, fix: false };
    const check = await createChecker(settings);
    const expected = [];
    for (const job of jobs) expected.push(await check(job));
    const pooled = await checkInPool(jobs, settings, { workers: 2, callerChecks: false });
    expect(pooled.outcomes).toEqual(expected);
    expect(pooled.workerErrors).toEqual([]);
    expect(pooled.checkedBy[0]).toBe(0);
    expect(pooled.checkedBy.reduce((a, b) => a + b, 0)).toBe(jobs.length);
    expect(pooled.outcomes.at(-1)).toEqual({ unreadable: expect.stringContaining("cannot read gone.py") });
  });

  it("--fix through the pool rewrites each file once, as one thread does, and leaves no temporary file", { timeout: 60_000 }, async () => {
    const one = join(dir, "one");
    const pool = join(dir, "pool");
    makeProject(one);
    makeProject(pool);
    chmodSync(join(pool, "pkg", "size_operator.py"), 0o640);
    chmodSync(join(one, "pkg", "size_operator.py"), 0o640);
    const single = await validate(one, ["pkg", "--fix"], "0");
    const pooled = await validate(pool, ["pkg", "--fix"], "2");
    expect(pooled).toEqual(single);
    expect(single.out).toContain("pkg/size_operator.py:7: fixed init-kwargs: added **kwargs to SizeOperator.__init__");
    expect(single.out).toContain("pkg/size_operator_crlf.py:7: fixed init-kwargs");
    expect(contents(pool)).toEqual(contents(one));
    expect(contents(pool)[join("pkg", "size_operator.py")]).toContain('template_fields = ("path",)');
    expect(contents(pool)[join("pkg", "size_operator_crlf.py")]).toContain('template_fields = ("path",)\r\n');
    expect(statSync(join(pool, "pkg", "size_operator.py")).mode & 0o777).toBe(0o640);
    // Fixed files check clean of what was fixed; a second pass changes nothing.
    const again = await validate(pool, ["pkg", "--fix"], "2");
    expect(again.out).not.toContain("fixed");
    expect(contents(pool)).toEqual(contents(one));
  });
});

describe("the opforge executable", () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "opforge.js");

  function opforge(cwd: string, argv: string[], env: Record<string, string>): Run {
    try {
      const out = execFileSync(process.execPath, [bin, ...argv], { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { code: 0, out, err: "" };
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      return { code: failed.status, out: failed.stdout, err: failed.stderr };
    }
  }

  it("validates from the compiled copy, with and without workers, as through tsx", { timeout: 120_000 }, () => {
    makeProject(dir);
    const argv = ["validate", "pkg", "missing.py", "--json"];
    const tsx = opforge(dir, argv, { OPFORGE_COMPILE: "0", OPFORGE_VALIDATE_WORKERS: "0" });
    expect(tsx.code).toBe(2);
    expect(JSON.parse(tsx.out).files.length).toBeGreaterThan(50);
    expect(opforge(dir, argv, { OPFORGE_VALIDATE_WORKERS: "0" })).toEqual(tsx);
    expect(opforge(dir, argv, { OPFORGE_VALIDATE_WORKERS: "2" })).toEqual(tsx);
  });

  it("validates one file from the compiled copy's code cache, with the same result as through tsx", { timeout: 120_000 }, () => {
    writeFileSync(join(dir, "broken_operator.py"), BROKEN_OPERATOR);
    const argv = ["validate", "broken_operator.py"];
    const tsx = opforge(dir, argv, { OPFORGE_COMPILE: "0" });
    expect(tsx.code).toBe(1);
    expect(tsx.out).toContain("broken_operator.py:");
    // The first run may make the cache (another test file may have); every later run starts from it.
    expect(opforge(dir, argv, {})).toEqual(tsx);
    const root = join(dirname(bin), "..", "node_modules", ".cache", "opforge");
    const cache = join(root, readFileSync(join(root, "current"), "utf8").trim(), "validate.cjs.v8-cache");
    expect(statSync(cache).size).toBeGreaterThan(0);
    expect(opforge(dir, argv, {})).toEqual(tsx);
    // A damaged cache is compiled around and replaced.
    writeFileSync(cache, "not V8's code cache");
    expect(opforge(dir, argv, {})).toEqual(tsx);
    expect(readFileSync(cache, "utf8")).not.toBe("not V8's code cache");
  });

  it("runs the other commands from the compiled copy too, as through tsx", { timeout: 120_000 }, () => {
    const spec = join(dirname(bin), "..", "examples", "specs", "http_operator.yaml");
    const check = opforge(dir, ["spec", "check", spec], {});
    expect(check).toEqual(opforge(dir, ["spec", "check", spec], { OPFORGE_COMPILE: "0" }));
    expect(check.out).toContain("valid operator spec HttpApiOperator");
    const generate = (out: string, env: Record<string, string>): Run => {
      const run = opforge(dir, ["generate", spec, "--out", out, "--db", join(dir, `${out}.db`)], env);
      return { ...run, out: run.out.replaceAll(join(dir, `${out}.db`), "DB").replaceAll(`${out}/`, "OUT/") };
    };
    const compiled = generate("compiled", {});
    expect(compiled.code).toBe(0);
    expect(compiled.out).toContain("OUT/plugins/operators/http_api_operator.py");
    expect(compiled).toEqual(generate("sources", { OPFORGE_COMPILE: "0" }));
    expect(readFileSync(join(dir, "compiled", "plugins", "operators", "http_api_operator.py"), "utf8")).toBe(
      readFileSync(join(dir, "sources", "plugins", "operators", "http_api_operator.py"), "utf8"),
    );
  });
});

describe("writeFileAtomic", () => {
  it("replaces the content, keeps the mode and writes through a symbolic link", () => {
    writeFileSync(join(dir, "real.py"), "old\n");
    chmodSync(join(dir, "real.py"), 0o600);
    symlinkSync(join(dir, "real.py"), join(dir, "link.py"));
    writeFileAtomic(join(dir, "link.py"), "new\n");
    expect(readFileSync(join(dir, "real.py"), "utf8")).toBe("new\n");
    expect(statSync(join(dir, "real.py")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(["link.py", "real.py"]);
  });
});

describe("planPool", () => {
  const jobs = (count: number, bytes: number): FileJob[] =>
    Array.from({ length: count }, (_, i) => {
      const abs = join(dir, `f${i}.py`);
      writeFileSync(abs, "x = 1\n".padEnd(bytes, "#"));
      return { abs, shown: `f${i}.py` };
    });

  it("keeps one file, or a few small ones, on the calling thread", () => {
    expect(planPool(jobs(1, 10), {}, {}).workers).toBe(0);
    expect(planPool(jobs(5, 1000), {}, {}).workers).toBe(0);
  });

  it("uses one worker per further core when the files add up to enough work", () => {
    const plan = planPool(jobs(4, POOL_MIN_BYTES / 2), {}, {});
    expect(plan.callerChecks).toBe(true);
    expect(plan.workers).toBeLessThanOrEqual(3);
  });

  it("follows OPFORGE_VALIDATE_WORKERS, at most one worker per file", () => {
    expect(planPool(jobs(3, 10), { OPFORGE_VALIDATE_WORKERS: "8" }, {})).toEqual({ workers: 3, callerChecks: false });
    expect(planPool(jobs(3, 10), { OPFORGE_VALIDATE_WORKERS: "0" }, {})).toEqual({ workers: 0, callerChecks: true });
  });

  it("keeps options holding an object (a knowledge base handed in) on the calling thread", () => {
    expect(planPool(jobs(3, 10), { OPFORGE_VALIDATE_WORKERS: "2" }, { dependencies: ["x"], className: { any: 1 } as unknown as string }).workers).toBe(0);
  });
});
