import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "opforge.js");
const corpus = join(here, "..", "fixtures", "learning");

interface Run {
  code: number;
  out: string;
  err: string;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-learn-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function opforge(argv: string[], env: Record<string, string> = {}, cwd = dir): Run {
  try {
    const out = execFileSync(process.execPath, [bin, ...argv], { cwd, env: { ...process.env, OPFORGE_DB: "", OPFORGE_DATABASE_URL: "", ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, out, err: "" };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, out: failed.stdout, err: failed.stderr };
  }
}

function teach(convention: string): void {
  copyFileSync(join(corpus, convention, "teach", "before.py"), join(dir, `${convention}.before.py`));
  copyFileSync(join(corpus, convention, "teach", "after.py"), join(dir, `${convention}.after.py`));
}

function heldout(convention: string, name: string): { file: string; fixed: string } {
  const file = join(dir, `${convention}-${name}.py`);
  copyFileSync(join(corpus, convention, "heldout", `${name}.py`), file);
  return { file, fixed: readFileSync(join(corpus, convention, "heldout", `${name}.fixed.py`), "utf8") };
}

describe("opforge learn fix and opforge rules", () => {
  it("learns a rule from one fix, knows it the second time, and lists, shows, trusts and discards it", { timeout: 60_000 }, () => {
    teach("requests-timeout");
    const first = opforge(["learn", "fix", "requests-timeout.before.py", "requests-timeout.after.py", "--db", "rules.db"]);
    expect(first).toMatchObject({ code: 0, err: "" });
    expect(first.out).toContain("rule #1 (candidate, new): `requests.get(...)` → `requests.get(..., timeout=30)`\n");
    expect(first.out).toContain("  before:  requests.get(...)\n  after:   requests.get(..., timeout=30)\n");
    const again = opforge(["learn", "fix", "requests-timeout.before.py", "requests-timeout.after.py", "--json"], { OPFORGE_DB: "rules.db" });
    expect(again.code).toBe(0);
    const json = JSON.parse(again.out) as { rules: { outcome: string; rule: { id: number; status: string; before: string } }[] };
    expect(json.rules.map((r) => [r.rule.id, r.outcome, r.rule.status, r.rule.before])).toEqual([[1, "known", "candidate", "requests.get(...)"]]);

    expect(opforge(["rules", "list", "--db", "rules.db"]).out).toMatch(/^#1 {2}candidate {2}`requests\.get\(\.\.\.\)` → `requests\.get\(\.\.\., timeout=30\)` {2}\(1 source, confidence 0\.\d\d\)\n$/);
    expect(opforge(["rules", "list", "--status", "trusted", "--db", "rules.db"]).out).toBe("no trusted rules\n");
    const shown = opforge(["rules", "show", "1", "--db", "rules.db"]);
    expect(shown.out).toContain("rule #1 (candidate, tree rule)\n");
    expect(shown.out).toContain("  learned where: def execute; changed 1 place in its fix\n");
    expect(opforge(["rules", "trust", "1", "--db", "rules.db"]).out).toBe("rule #1 is now trusted: `requests.get(...)` → `requests.get(..., timeout=30)`\n");
    expect(JSON.parse(opforge(["rules", "list", "--status", "trusted", "--json", "--db", "rules.db"]).out).rules.map((r: { id: number }) => r.id)).toEqual([1]);
    expect(opforge(["rules", "discard", "1", "--db", "rules.db"]).out).toContain("rule #1 is now discarded");
    expect(opforge(["rules", "show", "9", "--db", "rules.db"])).toMatchObject({ code: 1, err: "opforge rules: no rule #9 in installation 0\n" });
    expect(opforge(["rules", "trust", "x", "--db", "rules.db"]).code).toBe(2);
    expect(opforge(["rules", "list", "--status", "odd", "--db", "rules.db"]).code).toBe(2);
    expect(opforge(["rules", "list", "--db", "missing.db"]).code).toBe(1);
  });

  it("keeps each installation's rules apart: --installation learns, lists and trusts within one", { timeout: 60_000 }, () => {
    teach("requests-timeout");
    expect(opforge(["learn", "fix", "requests-timeout.before.py", "requests-timeout.after.py", "--installation", "5", "--db", "rules.db"]).code).toBe(0);
    expect(opforge(["rules", "list", "--db", "rules.db"]).out).toBe("no rules learned yet\n");
    expect(opforge(["rules", "list", "--installation", "6", "--db", "rules.db"]).out).toBe("no rules learned yet\n");
    expect(opforge(["rules", "list", "--installation", "5", "--db", "rules.db"]).out).toMatch(/^#1 {2}candidate {2}`requests\.get/);
    // A 👍 given for another installation finds no such rule and changes nothing.
    expect(opforge(["rules", "trust", "1", "--installation", "6", "--db", "rules.db"])).toMatchObject({ code: 1, err: "opforge rules: no rule #1 in installation 6\n" });
    expect(opforge(["rules", "list", "--status", "trusted", "--installation", "5", "--db", "rules.db"]).out).toBe("no trusted rules\n");
    expect(opforge(["rules", "list", "--installation", "five", "--db", "rules.db"])).toMatchObject({ code: 2 });
    expect(opforge(["rules", "list", "--installation", "five", "--db", "rules.db"]).err).toContain('--installation must be an installation id (a whole number), got "five"');
  });

  it("says why nothing was learned (exit 1) and rejects wrong usage (exit 2)", { timeout: 60_000 }, () => {
    teach("requests-timeout");
    const same = opforge(["learn", "fix", "requests-timeout.before.py", "requests-timeout.before.py", "--db", "rules.db"]);
    expect(same).toMatchObject({ code: 1, out: "" });
    expect(same.err).toContain("the two files are the same");
    writeFileSync(join(dir, "broken.py"), "def f(:\n");
    expect(opforge(["learn", "fix", "broken.py", "requests-timeout.after.py", "--db", "rules.db"]).err).toContain("the file before the fix does not parse");
    expect(opforge(["learn", "fix", "requests-timeout.before.py", "--db", "rules.db"]).code).toBe(2);
    expect(opforge(["learn", "fix", "nope.py", "requests-timeout.after.py", "--db", "rules.db"]).code).toBe(2);
    expect(opforge(["learn", "again", "--db", "rules.db"]).code).toBe(2);
    expect(opforge(["learn", "fix", "a.py", "b.py", "--frobnicate"]).code).toBe(2);
  });

  it("validate --fix --learned applies trusted rules with the built-in fixers and names each by id", { timeout: 90_000 }, () => {
    teach("raise-from");
    teach("datetime-utc");
    expect(opforge(["learn", "fix", "raise-from.before.py", "raise-from.after.py", "--trust", "--db", "rules.db"]).code).toBe(0);
    expect(opforge(["learn", "fix", "datetime-utc.before.py", "datetime-utc.after.py", "--db", "rules.db"]).code).toBe(0);
    const raise = heldout("raise-from", "two_handlers");
    const stamp = heldout("datetime-utc", "merge_import");
    const untouched = readFileSync(stamp.file, "utf8");
    const run = opforge(["validate", "--fix", "--learned", "--db", "rules.db", raise.file, stamp.file], { OPFORGE_VALIDATE_WORKERS: "2" });
    expect(run.out).toMatch(/two_handlers\.py:13: fixed learned\/1: `raise AirflowException\(\.\.\.\)` → `raise AirflowException\(\.\.\.\) from \$exc`/);
    expect(run.out).toMatch(/two_handlers\.py:15: fixed learned\/1: /);
    // The fix engine's own base-import rewrite runs too; the learned edits are exactly the human's.
    expect(readFileSync(raise.file, "utf8")).toContain('raise AirflowException("missing key") from missing');
    expect(readFileSync(raise.file, "utf8")).toContain("raise AirflowException(str(bad)) from bad");
    // A candidate rule is not applied.
    expect(readFileSync(stamp.file, "utf8").replace(/try:\n.*\nexcept ImportError:\n.*\n/, "")).toContain(untouched.split("\n").slice(3).join("\n"));
    expect(opforge(["validate", "--learned", raise.file]).code).toBe(2);
    expect(opforge(["validate", "--fix", "--learned", "--db", "missing.db", raise.file]).code).toBe(2);
  });

  it("applies a trusted rule alone where no built-in fixer has work, the file ending as the human would have written it", { timeout: 60_000 }, () => {
    teach("extra-dejson");
    expect(opforge(["learn", "fix", "extra-dejson.before.py", "extra-dejson.after.py", "--trust", "--db", "rules.db"]).code).toBe(0);
    const target = heldout("extra-dejson", "nested_subscript");
    const run = opforge(["validate", "--fix", "--learned", "--db", "rules.db", target.file]);
    expect(run.out).toContain("fixed learned/1: `json.loads($1.extra)` → `$1.extra_dejson`");
    expect(readFileSync(target.file, "utf8").replace(/try:\n.*\nexcept ImportError:\n.*\n/, "from airflow.hooks.base import BaseHook\n")).toBe(target.fixed);
  });
});

describe("opforge learn history", () => {
  function git(cwd: string, ...args: string[]): void {
    execFileSync("git", args, { cwd, stdio: "ignore", env: { ...process.env, GIT_AUTHOR_DATE: "2026-03-04T10:00:00Z", GIT_COMMITTER_DATE: "2026-03-04T10:00:00Z" } });
  }

  it("mines component fixes from commits and reports each rule with commit, author and date", { timeout: 60_000 }, () => {
    const repo = join(dir, "pipelines");
    mkdirSync(join(repo, "plugins", "operators"), { recursive: true });
    mkdirSync(join(repo, "tests"), { recursive: true });
    git(repo, "init", "-q");
    git(repo, "config", "user.email", "dana@example.com");
    git(repo, "config", "user.name", "Dana Reviewer");
    const component = join(repo, "plugins", "operators", "status_operator.py");
    copyFileSync(join(corpus, "subprocess-check", "teach", "before.py"), component);
    copyFileSync(join(corpus, "subprocess-check", "teach", "before.py"), join(repo, "tests", "test_status.py"));
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "status operator");
    copyFileSync(join(corpus, "subprocess-check", "teach", "after.py"), component);
    copyFileSync(join(corpus, "subprocess-check", "teach", "after.py"), join(repo, "tests", "test_status.py"));
    git(repo, "commit", "-qam", "scripts fail loudly");

    const run = opforge(["learn", "history", "pipelines", "--db", "rules.db"]);
    expect(run).toMatchObject({ code: 0, err: "" });
    expect(run.out).toContain("1 commit read, 1 component file change, 1 rule found\n");
    expect(run.out).toContain("rule #1 (candidate, new): `subprocess.run(...)` → `subprocess.run(..., check=True)`\n");
    expect(run.out).toMatch(/ {2}from pipelines [0-9a-f]{7} by Dana Reviewer on 2026-03-04 \(plugins\/operators\/status_operator\.py\)\n/);

    const json = JSON.parse(opforge(["learn", "history", join(repo, ".git"), "--paths", "tests/*.py", "plugins/**/*.py", "--trust", "--json", "--db", "other.db"]).out);
    expect(json.files).toBe(2);
    expect(json.rules.map((r: { outcome: string; rule: { status: string } }) => [r.outcome, r.rule.status])).toEqual([
      ["created", "trusted"],
      ["known", "trusted"],
    ]);
    expect(json.rules[0].origin).toMatchObject({ author: "Dana Reviewer", committedAt: "2026-03-04T10:00:00+00:00", path: "plugins/operators/status_operator.py" });
    expect(opforge(["learn", "history", "pipelines", "--since", "2030-01-01", "--db", "rules.db"]).out).toContain("0 commits read");
    expect(opforge(["learn", "history", "nowhere", "--db", "rules.db"])).toMatchObject({ code: 2, err: "opforge learn: nowhere is not a git repository (a work tree or a git directory)\n" });
  });
});
