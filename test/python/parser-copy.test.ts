import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PyNode } from "../../src/python/parser.js";
import { parsePython } from "../../src/python/parser.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "python");

function pythonFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) pythonFiles(path, out);
    else if (entry.endsWith(".py")) out.push(path);
  }
  return out;
}

/** The tree as plain data, parent links checked on the way. */
function shape(node: PyNode, parent: PyNode | null = null): unknown {
  expect(node.parent).toBe(parent);
  return [node.type, node.start, node.end, node.field, node.named, node.missing, node.children.map((c) => shape(c, node))];
}

async function bothWays(source: string): Promise<void> {
  const direct = await parsePython(source);
  const viaBinding = await parsePython(source, { publicCursor: true });
  expect(direct.hasError).toBe(viaBinding.hasError);
  expect(shape(direct.root)).toEqual(shape(viaBinding.root));
  const index = (byType: Map<string, PyNode[]>): unknown => [...byType].map(([type, nodes]) => [type, nodes.map((n) => [n.start, n.end])]);
  expect(index(direct.byType)).toEqual(index(viaBinding.byType));
}

describe("copy of the syntax tree", () => {
  it("reads the same tree through the direct cursor calls as through web-tree-sitter's TreeCursor", async () => {
    const files = pythonFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) await bothWays(readFileSync(file, "utf8"));
  });

  it("ends identifiers right when they hold or touch characters outside ASCII", async () => {
    const source = "naïve = 1\nπ·r = naïve\nx→y = 2\n𝔘nicode = π\nclass Café:\n    déjà_vu: int = 0\n";
    await bothWays(source);
    const parsed = await parsePython(source);
    const names = (parsed.byType.get("identifier") ?? []).map((n) => source.slice(n.start, n.end));
    expect(names).toEqual(expect.arrayContaining(["naïve", "π·r", "𝔘nicode", "Café", "déjà_vu"]));
  });

  it("keeps every token, MISSING ones included, in a tree with errors", async () => {
    const source = "def f(x:\n    return [1, 2\nclass C(\n    pass\nprint 'x'\nf'{a!r:>{w}}' + rb'\\x00'\n";
    await bothWays(source);
    const parsed = await parsePython(source);
    expect(parsed.hasError).toBe(true);
    const tokens: string[] = [];
    const stack = [parsed.root];
    while (stack.length > 0) {
      const node = stack.pop() as PyNode;
      if (!node.named) tokens.push(node.type);
      stack.push(...node.children);
    }
    expect(tokens).toEqual(expect.arrayContaining(["def", "(", ":", "return", "[", ","]));
  });

  it("copies a large generated module the same way", async () => {
    const body = Array.from({ length: 400 }, (_, i) => `    def m${i}(self, a: dict[str, int], *, b=${i}) -> int:\n        return sum(v for v in a.values() if v > b) + len(f"{a!r}")\n`);
    await bothWays(`class K:\n${body.join("")}`);
  });
});
