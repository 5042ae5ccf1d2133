/** Fixers for operator constructors: **kwargs in __init__, super().__init__(**kwargs), template_fields. */
import type { Analysis } from "../analysis.js";
import type { RewriteMatch } from "../rewrite.js";
import { builtinRule } from "../rewrite.js";
import { derivesDirectly, initInfo, stringTemplateFields, structureTargets } from "../rules/airflow.js";
import { field, namedChildren, statements } from "../tree.js";
import { appendToList, indentAt, lineEndInclusive, lineStart } from "./text.js";

export const initKwargsFixer = builtinRule("fix/init-kwargs", "init-kwargs", "Add **kwargs to __init__", (a) => {
  const out: RewriteMatch[] = [];
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    const info = initInfo(cls, a);
    if (!info || info.kwargsName) continue;
    const last = info.init.params[info.init.params.length - 1];
    const close = info.init.paramsNode.end - 1;
    out.push({
      rule: "fix/init-kwargs",
      start: close,
      end: close,
      description: `added **kwargs to ${cls.name}.__init__`,
      edits: appendToList(a.source, close, last?.node, "**kwargs"),
    });
  }
  return out;
});

export const superInitFixer = builtinRule("fix/super-init", "super-init", "Call super().__init__(**kwargs) in __init__", (a) => {
  const out: RewriteMatch[] = [];
  for (const { cls, type } of structureTargets(a)) {
    const info = initInfo(cls, a);
    if (!info) continue;
    const kw = info.kwargsName;
    if (!info.superCall) {
      if (!kw && type !== "hook") continue; // init-kwargs adds **kwargs first
      if (type === "hook" && !derivesDirectly(cls, "hook")) continue;
      const call = kw ? `super().__init__(**${kw})` : "super().__init__()";
      const body = statements(info.init.body);
      const isDoc = (n: (typeof body)[number]): boolean => n.type === "expression_statement" && n.children[0]?.type === "string";
      const firstReal = body.find((n) => !isDoc(n));
      let edit;
      if (firstReal) {
        const ls = lineStart(a.source, firstReal.start);
        const inline = a.source.slice(ls, firstReal.start).trim() !== "";
        if (inline) continue; // `def __init__(self): pass` on one line: leave it to a person
        edit = { start: ls, end: ls, text: `${indentAt(a.source, firstReal.start)}${call}\n` };
      } else {
        const doc = body[0];
        if (!doc) continue;
        const end = lineEndInclusive(a.source, doc.end);
        edit = { start: end, end, text: `${indentAt(a.source, doc.start)}${call}\n` };
      }
      out.push({ rule: "fix/super-init", start: edit.start, end: edit.end, description: `added ${call} to ${cls.name}.__init__`, edits: [edit] });
      continue;
    }
    if (type === "hook" || !kw) continue;
    const args = field(info.superCall, "arguments");
    if (!args || namedChildren(args).some((c) => c.type === "dictionary_splat")) continue;
    const items = namedChildren(args);
    const close = args.end - 1;
    out.push({
      rule: "fix/super-init",
      start: close,
      end: close,
      description: `passed **${kw} to super().__init__ in ${cls.name}.__init__`,
      edits: appendToList(a.source, close, items[items.length - 1], `**${kw}`),
    });
  }
  return out;
});

export const templateFieldsFixer = builtinRule("fix/template-fields-string", "template-fields-string", "Turn a string template_fields into a tuple", (a: Analysis) => {
  const out: RewriteMatch[] = [];
  for (const cls of a.facts?.classes ?? []) {
    const hit = stringTemplateFields(cls, a);
    if (!hit) continue;
    const names = hit.value.split(/[\s,]+/).filter((n) => /^[A-Za-z_]\w*$/.test(n));
    const parts = names.length > 0 ? names : [hit.value];
    const text = `(${parts.map((p) => JSON.stringify(p)).join(", ")}${parts.length === 1 ? "," : ""})`;
    out.push({
      rule: "fix/template-fields-string",
      start: hit.node.start,
      end: hit.node.end,
      description: `${cls.name}.template_fields = ${text}`,
      edits: [{ start: hit.node.start, end: hit.node.end, text }],
    });
  }
  return out;
});

/**
 * `execute(self, ctx)` → `execute(self, context)`, renaming the parameter's uses in the body; `execute(self)` gets
 * `context` added. Skipped when the body already uses the name `context` or rebinds the old parameter.
 */
export const contextParamFixer = builtinRule("fix/execute-signature", "execute-signature", "Name the context parameter `context`", (a) => {
  const out: RewriteMatch[] = [];
  if (!a.parsed || a.parsed.hasError) return out;
  const scopes = a.scopes();
  for (const { cls, type } of structureTargets(a)) {
    if (type === "hook") continue;
    for (const name of ["execute", "poke", "execute_complete"]) {
      const fn = cls.methods.get(name);
      if (!fn?.body || fn.params.some((p) => p.kind === "kwargs" || p.name === "context")) continue;
      const body = fn.body;
      const inBody = (n: { start: number; end: number }): boolean => n.start >= body.start && n.end <= body.end;
      if (scopes.uses.some((u) => u.name === "context" && inBody(u.node))) continue;
      const second = fn.params[1];
      if (!second) {
        const self = fn.params[0];
        if (!self) continue;
        out.push({
          rule: "fix/execute-signature",
          start: self.node.end,
          end: self.node.end,
          description: `${cls.name}.${name}() now takes context`,
          edits: [{ start: self.node.end, end: self.node.end, text: ", context" }],
        });
        continue;
      }
      if (second.kind !== "plain") continue;
      if (name === "execute_complete") {
        // The resume method is called with context= and event=: add the missing context in front.
        if (second.name !== "event") continue;
        out.push({
          rule: "fix/execute-signature",
          start: second.node.start,
          end: second.node.start,
          description: `${cls.name}.${name}() now takes context before event`,
          edits: [{ start: second.node.start, end: second.node.start, text: "context, " }],
        });
        continue;
      }
      const old = second.name;
      const nameNode = second.node.type === "identifier" ? second.node : (field(second.node, "name") ?? namedChildren(second.node)[0]);
      if (!nameNode || a.text(nameNode) !== old) continue;
      const useNodes = new Set(scopes.uses.filter((u) => u.name === old && inBody(u.node)).map((u) => u.node));
      // Any other identifier of that name in the body is a binding (or belongs to a nested scope): leave it to a person.
      const others = a.nodes("identifier").filter(
        (n) => inBody(n) && a.text(n) === old && !useNodes.has(n) && !(n.parent?.type === "attribute" && n.field === "attribute") && !(n.parent?.type === "keyword_argument" && n.field === "name"),
      );
      if (others.length > 0) continue;
      out.push({
        rule: "fix/execute-signature",
        start: nameNode.start,
        end: nameNode.end,
        description: `renamed ${cls.name}.${name}(${old}) to context`,
        edits: [nameNode, ...useNodes].map((n) => ({ start: n.start, end: n.end, text: "context" })),
      });
    }
  }
  return out;
});
