import { describe, expect, it } from "vitest";
import { tokenizePython } from "../../../src/learn/fixes/tokens.js";
import { compilePattern, matchAt, renderPattern } from "../../../src/learn/fixes/pattern.js";

const texts = (source: string): string[][] => tokenizePython(source).lines.map((l) => l.tokens.map((t) => `${t.type}:${t.text}`));

describe("tokenizePython", () => {
  it("joins bracketed and backslash-continued lines into logical lines and sets comments aside", () => {
    const source = "x = f(a,\n      b)  # trailing\n# alone\n\ny = 1 + \\\n    2\n";
    const { lines, comments } = tokenizePython(source);
    expect(lines.map((l) => l.tokens.map((t) => t.text).join(" "))).toEqual(["x = f ( a , b )", "y = 1 + 2"]);
    expect(comments.map((c) => source.slice(c.start, c.end))).toEqual(["# trailing", "# alone"]);
    expect(lines[1]?.start).toBe(source.indexOf("y = 1"));
  });

  it("splits plain one-name strings so a hole can stand inside them, and keeps other strings whole", () => {
    expect(texts(`t = ("city", 'a b', f"x", """doc\nmore""", "$1")`)).toEqual([
      [
        "name:t", "op:=", "op:(", "quote:\"", "strname:city", "quote:\"", "op:,", "string:'a b'", "op:,", 'string:f"x"', "op:,",
        'string:"""doc\nmore"""', "op:,", "quote:\"", "hole:$1", "quote:\"", "op:)",
      ],
    ]);
  });

  it("tells keywords, numbers and multi-character operators apart", () => {
    expect(texts("def f(*, a=1.5e3, **kw) -> None:\n    return a ** 2 if a >= 0x1F else not a")).toEqual([
      ["keyword:def", "name:f", "op:(", "op:*", "op:,", "name:a", "op:=", "number:1.5e3", "op:,", "op:**", "name:kw", "op:)", "op:->", "keyword:None", "op::"],
      ["keyword:return", "name:a", "op:**", "number:2", "keyword:if", "name:a", "op:>=", "number:0x1F", "keyword:else", "keyword:not", "name:a"],
    ]);
    expect(tokenizePython("if x:\n\tpass").lines.map((l) => l.indent)).toEqual([0, 8]);
  });
});

describe("patterns", () => {
  it("bind each hole to one name throughout, never to a builtin or self", () => {
    const pattern = compilePattern("self.$1 = $1");
    const lines = tokenizePython("self.a = a\nself.a = b\nself.a = str\n").lines;
    expect(matchAt(pattern, lines, 0)).toEqual(new Map([["$1", "a"]]));
    expect(matchAt(pattern, lines, 1)).toBeUndefined();
    expect(matchAt(compilePattern("self.$1 = $2"), lines, 2)).toBeUndefined();
  });

  it("require the same relative indentation and render with the match's own", () => {
    const pattern = compilePattern("if $1:\n    return $1");
    const source = tokenizePython("    if ok:\n        return ok\n    if ok:\n    return ok\n").lines;
    const captures = matchAt(pattern, source, 0);
    expect(captures).toEqual(new Map([["$1", "ok"]]));
    expect(matchAt(pattern, source, 2)).toBeUndefined();
    expect(renderPattern(compilePattern("if $1:\n    return not $1"), captures!, "    ")).toBe("if ok:\n        return not ok");
  });
});
