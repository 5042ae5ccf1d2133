/** Style rules: habits that do not fail CI but make components worse. Warnings only. */
import type { Analysis } from "../analysis.js";
import { field } from "../tree.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

function printCall(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const call of a.facts?.calls ?? []) {
    if (call.callee !== "print") continue;
    hits.push(hitAt(a, call.node, "print() bypasses Airflow's task log handlers; use self.log.info(...) (ruff T201)"));
    if (hits.length >= 5) break;
  }
  return hits;
}

function bareExcept(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  if (!a.parsed) return hits;
  for (const node of a.nodes("except_clause")) {
    const caught = node.children.find((c) => c.named && c.type !== "block" && c.type !== "comment");
    if (!caught) hits.push(hitAt(a, node, "bare 'except:' also catches SystemExit and KeyboardInterrupt, hiding task kills (ruff E722); catch Exception or something narrower"));
  }
  return hits;
}

function mutableDefault(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  for (const fn of a.facts?.functions ?? []) {
    for (const p of fn.params) {
      const d = p.defaultNode;
      if (!d) continue;
      const mutable = d.type === "list" || d.type === "dictionary" || d.type === "set" || (d.type === "call" && /^(list|dict|set)$/.test(a.text(field(d, "function") ?? d)));
      if (mutable) {
        hits.push(hitAt(a, d, `default value of '${p.name}' is a mutable ${a.text(d).slice(0, 20)} shared by every call (ruff B006); default to None and create it inside ${fn.name}()`));
      }
    }
  }
  return hits;
}

export const styleRules: Rule[] = [
  { id: "print-call", category: "style", severity: "warning", description: "print() instead of the task logger.", fixable: false, kinds: ["component"], check: printCall },
  { id: "bare-except", category: "style", severity: "warning", description: "A bare 'except:' clause.", fixable: false, check: bareExcept },
  { id: "mutable-default", category: "style", severity: "warning", description: "A list/dict/set literal as a parameter default.", fixable: false, check: mutableDefault },
];
