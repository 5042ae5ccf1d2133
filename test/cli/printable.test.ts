import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { printable } from "../../src/cli/printable.js";
import { UnsafePathError } from "../../src/github/paths.js";
import { parseSpecText } from "../../src/spec/index.js";

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function capture(cwd: string): CliIo & { text: () => string } {
  let text = "";
  return { stdout: (t) => void (text += t), stderr: (t) => void (text += t), cwd, env: {}, text: () => text };
}

describe("bidirectional and control characters in names are escaped, never echoed raw (issue 10, item 16)", () => {
  it("printable escapes U+202E and its kin as it escapes control bytes", () => {
    expect(printable("a\u202eb\u0001c\td\ne\u2066f\u0085")).toBe("a\\u202eb\\x01c\td\ne\\u2066f\\x85");
  });

  it("opforge validate names a file called a\\u202eb.py and its source escaped", async () => {
    dir = mkdtempSync(join(tmpdir(), "opforge-bidi-"));
    writeFileSync(join(dir, "a\u202eb.py"), 'x = 1 +\u202e\ny = "\u0001"\n');
    const io = capture(dir);
    expect(await main(["validate", "a\u202eb.py"], io)).toBe(1);
    expect(io.text()).toContain("a\\u202eb.py:1:");
    expect(io.text()).not.toContain("\u202e");
    expect(io.text()).not.toContain("\u0001");
  });

  it("a path refused at publish is quoted with the override escaped", () => {
    expect(new UnsafePathError("plugins/\u202e/x.py", "reason").message).toBe('refusing to write "plugins/\\u202e/x.py": reason');
  });

  it("a spec key holding an override is refused without echoing it", () => {
    const result = parseSpecText('name: AOperator\ndescription: ok\ncomponent_type: operator\n"te\u202eam": x\n', { source: "yaml" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.message)).toEqual(["a key contains the control character U+202E; remove it"]);
    expect(JSON.stringify(result)).not.toContain("\u202e");
  });
});
