/** One sentence for a rewrite rule: where it applies and what it changes, in the pattern's own tokens. */
import { diffArrays } from "diff";
import { tokenizePython } from "./tokens.js";

const MAX_SHOWN = 80;

/** Tokens back to readable code; `depth` is the bracket depth at the first token (keyword arguments are tight). */
function joinTokens(tokens: readonly string[], depth: number): string {
  const parts: string[] = [];
  let level = depth;
  for (const t of tokens) {
    if (t === "=" && level > 0) parts.push("\uE000=\uE000");
    else parts.push(t);
    if (t === "(" || t === "[" || t === "{") level++;
    if (t === ")" || t === "]" || t === "}") level = Math.max(0, level - 1);
  }
  return parts
    .join(" ")
    .replace(/ ?\uE000 ?/g, "")
    .replace(/ ([).,:\]}])/g, "$1")
    .replace(/([([{.]) /g, "$1")
    .replace(/([\w)\]]) ([([])/g, "$1$2")
    .replace(/(\*\*?) (\w)/g, (all, star: string, ch: string, offset: number, whole: string) =>
      offset === 0 || /[(,]\s*$/.test(whole.slice(0, offset)) ? `${star}${ch}` : all,
    )
    .replace(/(["']) (\S+?) (["'])/g, "$1$2$3");
}

function depthAt(tokens: readonly string[], index: number): number {
  let level = 0;
  for (const t of tokens.slice(0, index)) {
    if (t === "(" || t === "[" || t === "{") level++;
    if (t === ")" || t === "]" || t === "}") level = Math.max(0, level - 1);
  }
  return level;
}

function shown(text: string): string {
  const one = text.replace(/\s*\n\s*/g, " ").trim();
  return one.length > MAX_SHOWN ? `${one.slice(0, MAX_SHOWN - 1)}…` : one;
}

function where(context: string): string {
  if (context === "") return "At module level";
  if (context === "class *") return "In a class body";
  if (context === "def *") return "In a method";
  return `In \`${context}\``;
}

function texts(pattern: string): string[] {
  return tokenizePython(pattern).lines.flatMap((l) => l.tokens.map((t) => t.text));
}

export function describeChange(before: string, after: string, context: string): string {
  const a = texts(before);
  const b = texts(after);
  let change: string;
  if (b.length === 0) {
    change = "delete it";
  } else if (a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000")) {
    change = "same tokens, reordered";
  } else {
    const added: string[] = [];
    const removed: string[] = [];
    let inA = 0;
    let inB = 0;
    for (const part of diffArrays(a, b)) {
      if (part.added) added.push(joinTokens(part.value, depthAt(b, inB)));
      else if (part.removed) removed.push(joinTokens(part.value, depthAt(a, inA)));
      if (!part.added) inA += part.value.length;
      if (!part.removed) inB += part.value.length;
    }
    const list = (items: string[]): string => items.map((i) => `\`${(i.length > 1 ? i.replace(/^,\s*|,$/g, "") : i)}\``).join(", ");
    // A chunk both removed and added elsewhere was moved, not changed.
    const moved = removed.filter((r) => added.includes(r));
    const onlyAdded = added.filter((a) => !moved.includes(a));
    const onlyRemoved = removed.filter((r) => !moved.includes(r));
    const phrases: string[] = [];
    if (moved.length > 0) phrases.push(`move ${list(moved)}`);
    if (onlyRemoved.length > 0 && onlyAdded.length > 0) phrases.push(`replace ${list(onlyRemoved)} with ${list(onlyAdded)}`);
    else if (onlyAdded.length > 0) phrases.push(`add ${list(onlyAdded)}`);
    else if (onlyRemoved.length > 0) phrases.push(`drop ${list(onlyRemoved)}`);
    change = phrases.join(", ");
  }
  const to = b.length === 0 ? "" : ` → \`${shown(after)}\``;
  return `${where(context)}, \`${shown(before)}\`${to}: ${change}.`;
}
