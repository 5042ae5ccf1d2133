import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";
import { compileVerdicts, python3 } from "./helpers.js";

async function syntaxMessages(source: string): Promise<string[]> {
  const report = await validatePython(source, { kind: "test" });
  return report.findings.filter((f) => f.category === "syntax").map((f) => `${f.line}:${f.column} ${f.message}`);
}

const SNIPPETS: [string, string][] = [
  ["if x:\npass\n", "2:1 IndentationError: expected an indented block after 'if' statement on line 1"],
  ["def f():\n    return 1\n  x = 2\n", "3:3 IndentationError: unindent does not match any outer indentation level"],
  ["x = 1\n  y = 2\n", "2:3 IndentationError: unexpected indent"],
  ["class A:\n# only a comment\n", "3:1 IndentationError: expected an indented block after class definition on line 1"],
  ["for i in range(3):\n\n\nprint(i)\n", "4:1 IndentationError: expected an indented block after 'for' statement on line 1"],
  ["if x:\n\ty = 1\n        z = 2\n", "3:1 TabError: inconsistent use of tabs and spaces in indentation"],
  ["x = (1,\n     2\n", "1:5 SyntaxError: '(' was never closed"],
  ["x = [1, 2)\n", "1:10 SyntaxError: closing parenthesis ')' does not match opening parenthesis '['"],
  ["x = 1)\n", "1:6 SyntaxError: unmatched ')'"],
  ['s = """abc\n', "1:5 SyntaxError: unterminated triple-quoted string literal (detected at line 2)"],
  ["def f(a=1, b):\n    pass\n", "1:12 SyntaxError: parameter without a default follows parameter with a default"],
  ["def f(**kw, a):\n    pass\n", "1:13 SyntaxError: arguments cannot follow var-keyword argument"],
  ["def f(a, a):\n    pass\n", "1:10 SyntaxError: duplicate argument 'a' in function definition"],
  ["class A:\n    return 1\n", "2:5 SyntaxError: 'return' outside function"],
  ["yield 1\n", "1:1 SyntaxError: 'yield' outside function"],
  ["def f():\n    await g()\n", "2:5 SyntaxError: 'await' outside async function"],
  ["while True:\n    pass\nbreak\n", "3:1 SyntaxError: 'break' outside loop"],
  ["print 'x'\n", "1:1 SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?"],
  ["def f(x)\n    return x\n", "1:9 SyntaxError: expected ':'"],
  ["f(a=1, 2)\n", "1:8 SyntaxError: positional argument follows keyword argument"],
  ["f(**options, 2)\n", "1:14 SyntaxError: positional argument follows keyword argument unpacking"],
  ["from __future__ import annotation\n", "1:24 SyntaxError: future feature annotation is not defined"],
  ['"""Doc."""\nimport os\nfrom __future__ import annotations\n', "3:1 SyntaxError: from __future__ imports must occur at the beginning of the file"],
  ["class A:\n    def f(self):\n        return 1\n   x = 2\n", "4:4 IndentationError: unindent does not match any outer indentation level"],
  ["def f(x)\n    return (\n", "1:9 SyntaxError: expected ':'"],
  ["x = 1\n    y = 2\nz = [1)\n", "2:5 IndentationError: unexpected indent"],
];

const VALID: string[] = [
  "async def f():\n    await g()\n    return [await h() async for h in hs]\n",
  "def f(a, b=1, *args, c, d=2, **kw):\n    pass\n",
  "def f(a, /, b, *, c=1, d):\n    pass\n",
  "x = f'{a!r} {b:{width}} {c[\"k\"]} {d + f\"{e}\"}'\n",
  "x = (\n    1,\n  2,\n        3)\nif x: pass\n",
  "s = '''\nunterminated-looking ( [ {\n'''\n",
  "def f():\n    '''Doc.'''\n\n\n\n    return 1\n",
  "x = 1 \\\n    + 2\n",
  "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
  "match p:\n    case [x, y]:\n        pass\n",
  "lambda: (yield)\n",
  "for x in y:\n    if x:\n        continue\n    break\nelse:\n    pass\n",
  "f(a=1, *rest)\nf(*a, b=2, *c, **d)\n",
  '"""Doc."""\n# comment\nfrom __future__ import annotations\nfrom __future__ import division\nimport os\n',
  "value = \"a\" if flag else \"b\"\nresult = [x for x in y] if y else None\n",
];

describe("syntax rules", () => {
  it.each(SNIPPETS)("%j → %s", async (source, expected) => {
    const messages = await syntaxMessages(source);
    expect(messages.some((m) => m.startsWith(expected)), messages.join("\n")).toBe(true);
  });

  it("reports only the first error, as CPython does", async () => {
    expect(await syntaxMessages("def f(x)\n    return x\n")).toEqual(["1:9 SyntaxError: expected ':'"]);
    expect(await syntaxMessages("x = 1\n    y = (\n")).toEqual(["2:5 IndentationError: unexpected indent"]);
  });

  it("names both CPython wordings for a default-ordering error", async () => {
    const [message] = await syntaxMessages("def f(a=1, b):\n    pass\n");
    expect(message).toContain("parameter without a default follows parameter with a default");
    expect(message).toContain("non-default argument follows default argument");
  });

  it.each(VALID.map((v) => [v]))("accepts valid code %j", async (source) => {
    expect(await syntaxMessages(source)).toEqual([]);
  });

  it.skipIf(!python3())("agrees with CPython on every snippet", () => {
    const sources = [...SNIPPETS.map(([s]) => s), ...VALID];
    const expected = [...SNIPPETS.map(() => false), ...VALID.map(() => true)];
    expect(compileVerdicts(sources)).toEqual(expected);
  });
});
