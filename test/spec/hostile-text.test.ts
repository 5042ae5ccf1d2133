import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specCommand } from "../../src/cli/spec-check.js";
import { EXIT_INVALID_INPUT, type CliIo } from "../../src/cli/io.js";
import { parseSpecText } from "../../src/spec/index.js";

describe("control characters in spec text (issue 10, item 11)", () => {
  it("a NUL in description is refused by spec check with the field path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opforge-nul-"));
    try {
      writeFileSync(join(dir, "nul.yaml"), 'name: NulOperator\ndescription: "Fetches\\0 data"\ncomponent_type: operator\n');
      let out = "";
      const io: CliIo = { stdout: (t) => void (out += t), stderr: (t) => void (out += t), cwd: dir, env: {} };
      expect(await specCommand(["check", "nul.yaml"], io)).toBe(EXIT_INVALID_INPUT);
      expect(out).toContain("description: contains the control character U+0000 at character 8; remove it");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["inputs[0].description", 'name: AOperator\ndescription: ok\ncomponent_type: operator\ninputs:\n  - name: city\n    type: str\n    description: "a\\x07b"\n', "U+0007"],
    ["implementation_hints[0]", 'name: AOperator\ndescription: ok\ncomponent_type: operator\nimplementation_hints:\n  - "use \\u202e here"\n', "U+202E"],
    ["name", 'name: "A\\x1bOperator"\ndescription: ok\ncomponent_type: operator\n', "U+001B"],
  ])("%s is named when it holds %s", (path, text, code) => {
    const result = parseSpecText(text, { source: "yaml" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const [first] = result.errors;
    expect(first?.message).toContain(`contains the control character ${code}`);
    expect(first?.path).toBe(path);
  });

  it("tabs and newlines in text stay allowed", () => {
    const result = parseSpecText('name: AOperator\ndescription: "two\\tcolumns\\nand lines"\ncomponent_type: operator\n', { source: "yaml" });
    expect(result.ok).toBe(true);
  });
});
