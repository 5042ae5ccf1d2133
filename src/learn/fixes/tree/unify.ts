/**
 * Generalizing tree rules. Two rules that make the same edits fold into one whose pattern keeps what both
 * patterns share: a wildcard where they differ in code the edits do not touch, a variadic argument list
 * where their argument counts differ. API names never become holes: rules for `requests.get` and
 * `requests.post`, or for two exception classes, stay two rules.
 */
import type { ArgsPat, Pat, TreeRuleSpec } from "./pattern.js";
import { patternHoles } from "./pattern.js";

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameFrame(a: TreeRuleSpec, b: TreeRuleSpec): boolean {
  return same(a.edits, b.edits) && (a.exceptAs ?? null) === (b.exceptAs ?? null) && (a.method ?? false) === (b.method ?? false) && same(a.imports, b.imports);
}

function unifyPat(a: Pat, b: Pat): Pat | undefined {
  if (same(a, b)) return a;
  if ((a.mark ?? null) !== (b.mark ?? null)) return undefined;
  const mark = a.mark ? { mark: a.mark } : {};
  if (a.k === "hole" || b.k === "hole") return a.k === "hole" && b.k === "hole" && a.name === b.name ? a : undefined;
  if (a.k === "any" || b.k === "any") return patternHoles(a).length === 0 && patternHoles(b).length === 0 ? { k: "any", ...mark } : undefined;
  if (a.k === "text" || b.k === "text") return undefined;
  if (a.k === "node" && b.k === "node") {
    if (a.type !== b.type || a.kids.length !== b.kids.length || !same(a.seps, b.seps)) {
      return patternHoles(a).length === 0 && patternHoles(b).length === 0 && !a.mark ? { k: "any" } : undefined;
    }
    const kids: Pat[] = [];
    for (let i = 0; i < a.kids.length; i++) {
      const k = unifyPat(a.kids[i] as Pat, b.kids[i] as Pat);
      if (!k) return undefined;
      kids.push(k);
    }
    return { ...a, kids };
  }
  if (a.k === "call" && b.k === "call") {
    const fn = unifyPat(a.fn, b.fn);
    const args = unifyArgs(a.args, b.args);
    return fn && args ? { k: "call", fn, args, ...mark } : undefined;
  }
  return undefined;
}

function unifyArgs(a: ArgsPat, b: ArgsPat): ArgsPat | undefined {
  if ((a.mark ?? null) !== (b.mark ?? null) || !same([...a.absent].sort(), [...b.absent].sort())) return undefined;
  const n = Math.min(a.positional.length, b.positional.length);
  const positional: Pat[] = [];
  for (let i = 0; i < n; i++) {
    const p = unifyPat(a.positional[i] as Pat, b.positional[i] as Pat);
    if (!p) return undefined;
    positional.push(p);
  }
  // A longer list may only lose positions that bind nothing and carry no edit.
  for (const extra of [...a.positional.slice(n), ...b.positional.slice(n)]) if (patternHoles(extra).length > 0 || extra.mark) return undefined;
  const exactPositional = a.exactPositional && b.exactPositional && a.positional.length === b.positional.length;
  const keywords: ArgsPat["keywords"] = [];
  for (const kw of a.keywords) {
    const other = b.keywords.find((k) => k.name === kw.name);
    if (!other) {
      if (kw.mark || patternHoles(kw.value).length > 0) return undefined;
      continue;
    }
    const value = unifyPat(kw.value, other.value);
    if (!value || (kw.mark ?? null) !== (other.mark ?? null)) return undefined;
    keywords.push({ ...kw, value });
  }
  for (const kw of b.keywords) if (!a.keywords.some((k) => k.name === kw.name) && (kw.mark || patternHoles(kw.value).length > 0)) return undefined;
  const exactKeywords = a.exactKeywords && b.exactKeywords && keywords.length === a.keywords.length && keywords.length === b.keywords.length;
  const out: ArgsPat = { positional, exactPositional, keywords, absent: a.absent, exactKeywords };
  if (a.mark) out.mark = a.mark;
  return out;
}

/** The more general rule covering both, or undefined when they differ in what they do or in an API name. */
export function antiUnifyTree(a: TreeRuleSpec, b: TreeRuleSpec): TreeRuleSpec | undefined {
  if (!sameFrame(a, b)) return undefined;
  const pattern = unifyPat(a.pattern, b.pattern);
  if (!pattern || pattern.k === "any") return undefined;
  return { ...a, pattern };
}

function subsumesPat(g: Pat, s: Pat): boolean {
  if (g.k === "any") return true;
  if (g.k === "hole") return true;
  if (same(g, s)) return true;
  if (g.k === "text") return s.k === "text" && g.text === s.text;
  if (g.k === "node") return s.k === "node" && g.type === s.type && g.kids.length === s.kids.length && same(g.seps, s.seps) && g.kids.every((k, i) => subsumesPat(k, s.kids[i] as Pat));
  if (s.k !== "call") return false;
  const ga = g.args;
  const sa = s.args;
  if (!subsumesPat(g.fn, s.fn)) return false;
  if (ga.positional.length > sa.positional.length || (ga.exactPositional && (!sa.exactPositional || ga.positional.length !== sa.positional.length))) return false;
  if (!ga.positional.every((p, i) => subsumesPat(p, sa.positional[i] as Pat))) return false;
  if (!ga.keywords.every((k) => sa.keywords.some((o) => o.name === k.name && subsumesPat(k.value, o.value)))) return false;
  if (ga.exactKeywords && (!sa.exactKeywords || ga.keywords.length !== sa.keywords.length)) return false;
  return same([...ga.absent].sort(), [...sa.absent].sort());
}

/** Whether every place `specific` applies to, `general` applies to with the same edits. */
export function treeGeneralizes(general: TreeRuleSpec, specific: TreeRuleSpec): boolean {
  return sameFrame(general, specific) && subsumesPat(general.pattern, specific.pattern);
}
