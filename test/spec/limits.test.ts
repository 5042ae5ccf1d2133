import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_PARAMS, MAX_SPEC_BYTES, parseSpecFile, parseSpecText, specFromIssueBody } from "../../src/spec/index.js";
import { BASE, errorsOf, expectOnlyError, expectValid } from "./helpers.js";

function inputs(count: number): string {
  let text = `${BASE}inputs:\n`;
  for (let index = 0; index < count; index++) text += `  - name: input_${index}\n    type: str\n`;
  return text;
}

describe("size bounds", () => {
  it("refuses a 2 MB spec before parsing it", () => {
    const text = `${BASE}description: "${"x".repeat(2 * 1024 * 1024)}"\n`;
    const value = parseSpecText(text);
    expectOnlyError(value, "", /over the 1\.0 MB limit \(MAX_SPEC_BYTES\)/);
  });

  it("refuses a 2 MB issue body", () => {
    const value = specFromIssueBody(`\`\`\`yaml\n${BASE}\`\`\`\n${"y".repeat(2 * 1024 * 1024)}`);
    expectOnlyError(value, "", /issue body is 2\.0 MB, over the 1\.0 MB limit/);
  });

  it("accepts exactly MAX_PARAMS params and refuses one more", () => {
    expectValid(parseSpecText(inputs(MAX_PARAMS)));
    expectOnlyError(parseSpecText(inputs(MAX_PARAMS + 1)), "inputs", new RegExp(`${MAX_PARAMS + 1} inputs and config params, over the limit of ${MAX_PARAMS}`), 4);
  });

  it("refuses a 10,000-input spec, naming the count and the limit", () => {
    const text = inputs(10_000);
    expect(text.length).toBeLessThan(MAX_SPEC_BYTES);
    const value = parseSpecText(text);
    expectOnlyError(value, "inputs", /10000 inputs and config params, over the limit of 500 \(MAX_PARAMS\)/);
  });

  it("handles a 1 MB mapping of 100,000 keys with a bounded number of warnings", () => {
    let text = BASE;
    for (let index = 0; text.length < MAX_SPEC_BYTES - 20; index++) text += `k${index}: v\n`;
    const value = parseSpecText(text);
    expect(value.ok).toBe(true);
    expect(value.warnings).toHaveLength(51);
    expect(value.warnings.at(-1)!.message).toMatch(/^\d{5,} more keys are not documented spec keys/);
  });

  it("finds a duplicated key among many without comparing every pair", () => {
    let text = `${BASE}prerequisites:\n`;
    for (let index = 0; index < 50_000; index++) text += `  k${index}: v\n`;
    text += "  k123: again\n";
    const value = parseSpecText(text);
    expectOnlyError(value, "", /key "k123" appears twice in the same mapping/, 50_005);
  });

  it("refuses a runtime param enum over MAX_LIST_ENTRIES", () => {
    const values = Array.from({ length: 1001 }, (_, index) => index).join(", ");
    expectOnlyError(parseSpecText(`${BASE}runtime_params:\n  - {name: n, type: integer, enum: [${values}]}\n`), "runtime_params[0].enum", /has 1001 values, over the limit of 1000/);
  });

  it("bounds YAML alias expansion", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [index, name] of ["b", "c", "d", "e", "f", "g"].entries()) {
      const previous = "abcdefg"[index]!;
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const value = parseSpecText(`${BASE}${levels.join("\n")}\n`);
    expectOnlyError(value, "", /aliases expand too far.*MAX_ALIAS_COUNT/);
  });

  it("refuses deeply nested flow collections before parsing", () => {
    const text = `${BASE}prerequisites: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n`;
    const value = parseSpecText(text);
    expectOnlyError(value, "", /nested more than 64 levels deep/, 4);
  });

  it("refuses deeply nested block sequences before parsing", () => {
    const text = `${BASE}prerequisites:\n${"- ".repeat(300_000)}x\n`;
    const value = parseSpecText(text);
    expectOnlyError(value, "", /over the 256 limit \(MAX_LINE_PREFIX\)/, 5);
  });

  it("refuses moderate nesting beyond MAX_NESTING_DEPTH with the line it starts on", () => {
    let nested = "leaf";
    for (let depth = 0; depth < 40; depth++) nested = `{k: ${nested}}`;
    const error = expectOnlyError(parseSpecText(`${BASE}prerequisites: ${nested}\n`), "", /nested more than 32 levels deep \(MAX_NESTING_DEPTH\)/);
    expect(error.line).toBe(4);
  });

  it("bounds the nesting of structured defaults written as strings", () => {
    const deepFlow = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const deepBlock = `${"- ".repeat(100_000)}x`;
    for (const value of [deepFlow, deepBlock]) {
      const result = parseSpecText(`${BASE}inputs:\n  - name: matrix\n    type: List[Any]\n    default: "${value}"\n`);
      expect(expectValid(result).params[0]!.default).toBe(value);
      expect(result.warnings[0]?.message).toMatch(/cannot be read as List\[Any\]; kept as written/);
    }
  });

  it("does not count brackets inside quotes, comments or block scalars", () => {
    const brackets = "[".repeat(100);
    const text = `${BASE}display_name: "${brackets}" # ${brackets}\nexamples:\n  - code: |\n      ${brackets}\n`;
    expect(expectValid(parseSpecText(text)).display_name).toBe(brackets);
  });
});

describe("parseSpecFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "opforge-spec-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a file over the limit from its size", async () => {
    const path = join(dir, "huge.yaml");
    writeFileSync(path, `${BASE}# ${"z".repeat(2 * 1024 * 1024)}\n`);
    const result = await parseSpecFile(path);
    const [error] = errorsOf(result);
    expect(error!.message).toContain(`spec file ${path} is 2.0 MB, over the 1.0 MB limit`);
  });

  it("throws an error naming a missing file", async () => {
    const path = join(dir, "missing.yaml");
    await expect(parseSpecFile(path)).rejects.toThrow(`cannot read spec file "${path}": no such file`);
  });

  it("throws an error naming a directory", async () => {
    await expect(parseSpecFile(dir)).rejects.toThrow(`cannot read spec file "${dir}": it is a directory, not a file`);
  });

  it("reads a file with a byte-order mark and CRLF line ends", async () => {
    const path = join(dir, "crlf.yaml");
    writeFileSync(path, `\uFEFF${BASE.replace(/\n/g, "\r\n")}ui_color: "#123"\r\n`);
    const result = await parseSpecFile(path);
    expect(expectValid(result).ui_color).toBe("#123");
  });
});
