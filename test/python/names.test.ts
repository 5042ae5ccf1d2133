import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";

async function undefinedNames(source: string): Promise<string[]> {
  const report = await validatePython(source, { kind: "test" });
  return report.findings.filter((f) => f.rule === "undefined-name").map((f) => /name '([^']+)'/.exec(f.message)?.[1] ?? "?");
}

describe("undefined names", () => {
  it("raises no false alarm on the scoping forms Python allows", async () => {
    const source = `
import os.path
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from collections.abc import Sequence

COUNTER = 0


def bump():
    global COUNTER, LATE
    COUNTER += 1
    LATE = 1


def outer():
    total = 0

    def inner():
        nonlocal total
        total += 1
        return total

    return inner


class Box:
    size = 3
    doubled = [size * 2 for _ in range(2)]
    __slots__ = ("value",)

    def area(self, *args: int, scale: float = 1.0, **options: str) -> float:
        return self.size * scale * len(args) * len(options) * (__class__ is Box)

    @property
    def label(self) -> str:
        return f"{self.size!r:>{10}} {__name__} {__file__}"


def everything(items, data):
    squares = {k: v * v for k, v in data.items() if (threshold := 2) and v > threshold}
    nested = [[x * y for y in row] for row in items for x in row]
    gen = sum(i for i in range(3))
    fn = lambda a, b=1: a + b + threshold
    try:
        os.path.join("a", "b")
    except (OSError, ValueError) as exc:
        print(exc)
    with open(__file__) as fh, open(__file__) as (other):
        fh.read(); other.read()
    for idx, (left, *rest) in enumerate(items):
        del left
    match data:
        case {"kind": "point", "x": px, **others} if px > 0:
            return px, others
        case [first, *tail]:
            return first, tail
        case Box(size=sz) as box:
            return sz, box
        case os.sep:
            return None
        case _:
            pass
    return squares, nested, gen, fn, idx, rest, Sequence


def uses_later():
    return defined_after_use()


def defined_after_use():
    return dict(key=1).get("key")


try:
    unicode
except NameError:
    unicode = str
`;
    expect(await undefinedNames(source)).toEqual([]);
  });

  it("flags names nobody defines, once per name", async () => {
    expect(await undefinedNames("def f():\n    return missing + missing + also_missing\n")).toEqual(["missing", "also_missing"]);
  });

  it("does not let methods see class-level names (Python does not either)", async () => {
    expect(await undefinedNames("class A:\n    limit = 3\n\n    def f(self):\n        return limit\n")).toEqual(["limit"]);
  });

  it("sees names bound by comprehensions only inside them", async () => {
    expect(await undefinedNames("xs = [n for n in range(3)]\nprint(n)\n")).toEqual(["n"]);
  });

  it("stops reporting after a star import, which can bind anything", async () => {
    expect(await undefinedNames("from os.path import *\nprint(join('a', 'b'), whatever)\n")).toEqual([]);
  });

  it("is silent while the file has syntax errors (those come first)", async () => {
    const report = await validatePython("def f(:\n    return missing\n");
    expect(report.findings.map((f) => f.rule)).toEqual(["syntax-error"]);
  });
});
