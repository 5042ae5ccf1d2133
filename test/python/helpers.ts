import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidateOptions } from "../../src/python/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "python");

export interface BrokenSample {
  name: string;
  source: string;
  rule: string;
  options: ValidateOptions;
}

/** Broken samples carry their expectation in two header comments: `# expect: <rule>` and `# options: {json}`. */
export function brokenSamples(): BrokenSample[] {
  const dir = join(FIXTURES, "broken");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .map((file) => {
      const source = readFileSync(join(dir, file), "utf8");
      const rule = /^# expect: (\S+)$/m.exec(source)?.[1];
      const options = /^# options: (.*)$/m.exec(source)?.[1];
      if (!rule || !options) throw new Error(`${file} lacks its # expect / # options header`);
      return { name: file, source, rule, options: JSON.parse(options) as ValidateOptions };
    });
}

export function readFixture(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), "utf8");
}

let python: string | null | undefined;

/** `python3` when present on this machine, else null (syntax cross-checks are skipped then). */
export function python3(): string | null {
  if (python === undefined) {
    try {
      execFileSync("python3", ["--version"], { stdio: "ignore" });
      python = "python3";
    } catch {
      python = null;
    }
  }
  return python;
}

/** Whether CPython compiles each source (one python3 process for all; never imports or runs them). */
export function compileVerdicts(sources: string[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), "opforge-pyc-"));
  try {
    const files = sources.map((source, i) => {
      const file = join(dir, `sample_${i}.py`);
      writeFileSync(file, source);
      return file;
    });
    const script = [
      "import json, sys",
      "out = []",
      "for path in sys.argv[1:]:",
      "    try:",
      "        compile(open(path, 'rb').read(), path, 'exec')",
      "        out.append(True)",
      "    except (SyntaxError, ValueError):",
      "        out.append(False)",
      "print(json.dumps(out))",
    ].join("\n");
    const stdout = execFileSync(python3() ?? "python3", ["-c", script, ...files], { encoding: "utf8" });
    return JSON.parse(stdout) as boolean[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
