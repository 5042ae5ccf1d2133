import type { ComponentSpec } from "../spec/types.js";
import { generatedFileNames } from "./naming.js";
import type { FailureKind, FileRole, GeneratedFile } from "./types.js";

export interface CodeBlock {
  info: string;
  content: string;
  /** 1-based line of the opening fence. */
  line: number;
  closed: boolean;
  /** The nearest non-empty line before the fence, when it is outside any block. */
  preceding?: string;
}

/** Fenced blocks (``` or ~~~, any length, indented up to 3 spaces) of a Markdown reply. */
export function extractCodeBlocks(text: string): CodeBlock[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: CodeBlock[] = [];
  let lastOutside: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/.exec(line);
    if (!open) {
      if (line.trim() !== "") lastOutside = line.trim();
      continue;
    }
    const marker = open[1] ?? "```";
    const info = (open[2] ?? "").trim();
    const body: string[] = [];
    let closed = false;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const candidate = lines[j] ?? "";
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(candidate);
      if (close && close[1]?.[0] === marker[0] && (close[1]?.length ?? 0) >= marker.length) {
        closed = true;
        break;
      }
      body.push(candidate);
    }
    blocks.push({ info, content: body.join("\n"), line: i + 1, closed, preceding: lastOutside });
    lastOutside = undefined;
    i = j;
  }
  return blocks;
}

const NON_PYTHON = new Set(["bash", "sh", "shell", "console", "yaml", "yml", "json", "text", "txt", "ini", "toml", "cfg", "diff", "markdown", "md"]);
const ROLE_WORDS: Record<string, FileRole> = { component: "component", operator: "component", sensor: "component", hook: "component", module: "component", test: "test", tests: "test", dag: "dag", example_dag: "dag" };

function roleFromPath(path: string): FileRole {
  const base = path.split("/").pop()?.toLowerCase() ?? path.toLowerCase();
  if (base.startsWith("test_") || base.endsWith("_test.py") || base.startsWith("conftest")) return "test";
  if (/(^|_)dags?(_|\.|$)/.test(base) || path.toLowerCase().includes("dags/")) return "dag";
  return "component";
}

/** The file a fence line names: `file=component`, `path="x.py"`, `title=x.py`, `python:x.py`, `python x.py`, `python test`. */
function labelFromInfo(info: string): string | undefined {
  const keyed = /\b(?:file|path|filename|title|name|role)\s*[=:]\s*["']?([^\s"']+)["']?/i.exec(info);
  if (keyed?.[1]) return keyed[1];
  const tokens = info.split(/\s+/).map((t) => t.replace(/^[A-Za-z]+:(?=\S)/, ""));
  return tokens.find((t) => /\.py$/i.test(t)) ?? tokens.slice(1).find((t) => ROLE_WORDS[t.toLowerCase()] !== undefined);
}

const FILE_COMMENT = /^\s*#\s*(?:file|filename|path)\s*:\s*(\S+\.py)\s*$/i;

function fileNamedBefore(line: string | undefined): string | undefined {
  if (!line || line.length > 160) return undefined;
  return /([\w./-]+\.py)\b/.exec(line)?.[1];
}

/** A short heading before the fence (`### Tests`, `**Example DAG**`), used only when the code itself says nothing. */
function roleFromHeading(line: string | undefined): FileRole | undefined {
  if (!line || !/^(#{1,6}\s|\*\*|__)/.test(line) || line.split(/\s+/).length > 8) return undefined;
  const words = line.toLowerCase().replace(/[^a-z_ ]/g, " ");
  if (/\btests?\b/.test(words)) return "test";
  if (/\bdag\b/.test(words)) return "dag";
  if (/\b(operator|sensor|hook|component|module)\b/.test(words)) return "component";
  return undefined;
}

function roleFromContent(content: string, className: string): FileRole | undefined {
  if (new RegExp(`^class\\s+${className}\\b`, "m").test(content)) return "component";
  if (/^\s*def test_\w*\s*\(/m.test(content) || /^import pytest|^from pytest\b/m.test(content)) return "test";
  if (/\bwith\s+DAG\s*\(|^@dag\b|\bDAG\s*\(/m.test(content)) return "dag";
  if (/^class\s+\w+\s*\(/m.test(content)) return "component";
  return undefined;
}

export type ParsedReply =
  | { ok: true; files: GeneratedFile[]; missing: FileRole[] }
  | { ok: false; kind: FailureKind; reason: string };

export function classNamesIn(source: string): string[] {
  return [...source.matchAll(/^class\s+([A-Za-z_]\w*)\s*[(:]/gm)].map((m) => m[1] ?? "");
}

/**
 * The files of a model reply. Blocks are recognised by a fence label (```python file=component), a
 * `# file: name.py` first line, a file named on the line before the fence, or, last, by their content.
 */
export function parseReply(text: string, stopReason: string, spec: ComponentSpec): ParsedReply {
  if (stopReason === "max_tokens" || stopReason === "length") {
    return {
      ok: false,
      kind: "truncated",
      reason: `the reply was cut off at the output token limit (stop reason "${stopReason}") before the files were complete; keep the files shorter (no long comments or repeated code)`,
    };
  }
  const blocks = extractCodeBlocks(text);
  const candidates: { role: FileRole; content: string; labeled: boolean }[] = [];
  for (const block of blocks) {
    const lang = (block.info.split(/\s+/)[0] ?? "").toLowerCase();
    // Edit blocks (edits.ts) change files; they are not files themselves.
    if (lang === "edit") continue;
    let label = labelFromInfo(block.info);
    let content = block.content;
    const firstLine = content.split("\n").find((l) => l.trim() !== "");
    const fileComment = firstLine ? FILE_COMMENT.exec(firstLine) : null;
    if (!label && fileComment?.[1]) {
      label = fileComment[1];
      content = content.replace(firstLine ?? "", "").replace(/^\s*\n/, "");
    }
    if (!label && NON_PYTHON.has(lang)) continue;
    label ??= fileNamedBefore(block.preceding);
    const role = label
      ? (ROLE_WORDS[label.toLowerCase()] ?? roleFromPath(label))
      : (roleFromContent(content, spec.name) ?? roleFromHeading(block.preceding));
    if (!role || content.trim() === "") continue;
    candidates.push({ role, content: `${content.replace(/\s+$/, "")}\n`, labeled: label !== undefined });
  }
  if (candidates.length === 0) {
    const unusual = ["end_turn", "stop", "stop_sequence", "scaffold"].includes(stopReason) ? "" : ` (stop reason "${stopReason}")`;
    return {
      ok: false,
      kind: "no_code",
      reason:
        (blocks.length === 0
          ? "the reply has no fenced code block (expected ```python file=component, file=test and file=dag blocks)"
          : "the reply's code blocks hold no Python file") + unusual,
    };
  }
  const names = generatedFileNames(spec);
  const files: GeneratedFile[] = [];
  for (const role of ["component", "test", "dag"] as const) {
    const chosen = candidates.find((c) => c.role === role && c.labeled) ?? candidates.find((c) => c.role === role);
    if (chosen) files.push({ role, path: names[role], content: chosen.content });
  }
  const component = files.find((f) => f.role === "component");
  if (!component) {
    return {
      ok: false,
      kind: "missing_component",
      reason: `the reply has no component block (found: ${[...new Set(candidates.map((c) => c.role))].join(", ")})`,
    };
  }
  const classes = classNamesIn(component.content);
  if (!classes.includes(spec.name)) {
    return {
      ok: false,
      kind: "wrong_class",
      reason:
        classes.length === 0
          ? `the component module defines no class; expected class ${spec.name}`
          : `the component class is named ${classes.join(", ")}; the spec names it ${spec.name}`,
    };
  }
  const missing = (["test", "dag"] as const).filter((role) => !files.some((f) => f.role === role));
  return { ok: true, files, missing };
}
