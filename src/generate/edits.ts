import { extractCodeBlocks } from "./parse.js";
import type { FileRole, GeneratedFile, RetryContext } from "./types.js";

/**
 * Targeted edits: on a retry that patches, the model answers with search/replace pairs against the files it
 * was shown instead of writing every file again. The format (docs/edit-format.md):
 *
 *   ```edit file=component
 *   <<<<<<< SEARCH
 *   exact lines of the current file
 *   =======
 *   the lines that replace them
 *   >>>>>>> REPLACE
 *   ```
 *
 * Parsing is strict: anything but blank lines between pairs, a missing marker, an unknown file, or a SEARCH
 * that does not match exactly one place is an error naming the file and the edit, and nothing is applied.
 */

export interface FileEdit {
  role: FileRole;
  /** 1-based position of the edit in the reply, counted over all files: what error messages name. */
  index: number;
  search: string;
  replace: string;
}

export type ParsedEdits =
  | { kind: "none" }
  | { kind: "edits"; edits: FileEdit[] }
  | { kind: "invalid"; reason: string };

export type AppliedEdits = { ok: true; files: GeneratedFile[]; changed: FileRole[] } | { ok: false; reason: string };

const SEARCH = /^<{7} SEARCH\s*$/;
const DIVIDER = /^={7}\s*$/;
const REPLACE = /^>{7} REPLACE\s*$/;
const ROLES: readonly FileRole[] = ["component", "test", "dag"];

function isEditInfo(info: string): boolean {
  return (info.split(/\s+/)[0] ?? "").toLowerCase() === "edit";
}

function fileOf(info: string): string | undefined {
  return /\bfile\s*=\s*["']?([^\s"']+)["']?/i.exec(info)?.[1];
}

/** The role an edit block names: a role word, or the name of one of the current files. */
function roleOf(name: string, files: GeneratedFile[]): FileRole | undefined {
  const lower = name.toLowerCase();
  const role = ROLES.find((r) => r === lower);
  if (role !== undefined) return role;
  return files.find((f) => f.path === name || f.path.split("/").pop() === name.split("/").pop())?.role;
}

/** The edit blocks of a reply. `files` are the current files, which the blocks may name by file name. */
export function parseEdits(text: string, files: GeneratedFile[]): ParsedEdits {
  const blocks = extractCodeBlocks(text).filter((b) => isEditInfo(b.info));
  if (blocks.length === 0) return { kind: "none" };
  const edits: FileEdit[] = [];
  for (const [n, block] of blocks.entries()) {
    const where = `edit block ${n + 1} (line ${block.line})`;
    const name = fileOf(block.info);
    if (name === undefined) return { kind: "invalid", reason: `${where} names no file: its fence line must be \`\`\`edit file=component (or test, dag)` };
    const role = roleOf(name, files);
    if (role === undefined) {
      return { kind: "invalid", reason: `${where} names file=${name}, which is none of the files (${ROLES.join(", ")})` };
    }
    if (!block.closed) return { kind: "invalid", reason: `${where} for file=${name} is not closed: the reply was cut off` };
    const lines = block.content.split("\n");
    let i = 0;
    let pairs = 0;
    while (i < lines.length) {
      const line = lines[i] ?? "";
      if (line.trim() === "") {
        i++;
        continue;
      }
      const editNo = edits.length + 1;
      const at = `edit ${editNo} for file=${name} (${where})`;
      if (!SEARCH.test(line)) {
        return { kind: "invalid", reason: `${at}: expected "<<<<<<< SEARCH", found ${JSON.stringify(line.slice(0, 80))}` };
      }
      const search: string[] = [];
      for (i++; i < lines.length && !DIVIDER.test(lines[i] ?? ""); i++) {
        const l = lines[i] ?? "";
        if (SEARCH.test(l) || REPLACE.test(l)) return { kind: "invalid", reason: `${at}: "${l.trim()}" before the "=======" line` };
        search.push(l);
      }
      if (i >= lines.length) return { kind: "invalid", reason: `${at}: no "=======" line after the SEARCH section` };
      const replace: string[] = [];
      for (i++; i < lines.length && !REPLACE.test(lines[i] ?? ""); i++) {
        const l = lines[i] ?? "";
        if (SEARCH.test(l) || DIVIDER.test(l)) return { kind: "invalid", reason: `${at}: "${l.trim()}" before the ">>>>>>> REPLACE" line` };
        replace.push(l);
      }
      if (i >= lines.length) return { kind: "invalid", reason: `${at}: no ">>>>>>> REPLACE" line after the replacement` };
      i++;
      if (search.every((l) => l.trim() === "")) {
        return { kind: "invalid", reason: `${at}: the SEARCH section is empty; it must hold the exact lines to replace` };
      }
      edits.push({ role, index: editNo, search: `${search.join("\n")}\n`, replace: replace.length === 0 ? "" : `${replace.join("\n")}\n` });
      pairs++;
    }
    if (pairs === 0) return { kind: "invalid", reason: `${where} for file=${name} holds no SEARCH/REPLACE pair` };
  }
  return { kind: "edits", edits };
}

/** Start offsets where `needle` occurs at the start of a line. */
function lineAlignedMatches(content: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = content.indexOf(needle); at !== -1; at = content.indexOf(needle, at + 1)) {
    if (at === 0 || content[at - 1] === "\n") found.push(at);
  }
  return found;
}

/**
 * Applies the edits in order, each to the file as the edits before it left it. All or nothing: the first
 * edit whose SEARCH matches no place or several places stops it, and its error names the file and edit.
 */
export function applyEdits(files: GeneratedFile[], edits: FileEdit[]): AppliedEdits {
  const contents = new Map(files.map((f) => [f.role, f.content.replace(/\r\n?/g, "\n").replace(/\n?$/, "\n")]));
  const changed = new Set<FileRole>();
  for (const edit of edits) {
    const current = contents.get(edit.role);
    const file = files.find((f) => f.role === edit.role);
    if (current === undefined || file === undefined) {
      return { ok: false, reason: `edit ${edit.index} for file=${edit.role}: there is no ${edit.role} file to edit` };
    }
    const matches = lineAlignedMatches(current, edit.search);
    if (matches.length !== 1) {
      const first = edit.search.split("\n")[0]?.trim().slice(0, 80) ?? "";
      const how =
        matches.length === 0
          ? "matches nothing; it must repeat the current lines exactly, indentation included"
          : `matches ${matches.length} places; include more surrounding lines so it matches exactly one`;
      return { ok: false, reason: `edit ${edit.index} for file=${edit.role} (${file.path}): the SEARCH starting ${JSON.stringify(first)} ${how}` };
    }
    const at = matches[0] ?? 0;
    contents.set(edit.role, `${current.slice(0, at)}${edit.replace}${current.slice(at + edit.search.length)}`);
    changed.add(edit.role);
  }
  return {
    ok: true,
    files: files.map((f) => ({ ...f, content: contents.get(f.role) ?? f.content })),
    changed: ROLES.filter((r) => changed.has(r)),
  };
}

/** The edit format as the retry prompt states it (docs/edit-format.md says the same at more length). */
export const EDIT_FORMAT_TEXT = `## Reply format for this retry: targeted edits
Reply with edit blocks instead of whole files. One fenced block per file you change, opened by \`\`\`edit file=component (or file=test, file=dag), holding one or more pairs:

\`\`\`edit file=component
<<<<<<< SEARCH
the exact lines of the current file to replace (indentation included; enough lines to match one place only)
=======
the lines that replace them (empty to delete them)
>>>>>>> REPLACE
\`\`\`

Files you do not edit stay as they are. Each SEARCH must match the current file exactly once; edits to one file apply in order. Only when most of a file has to change, reply instead with all three files in full in the usual format (\`\`\`python file=component, file=test, file=dag).`;

/** Whether a retry asks for targeted edits: a patch with files to edit, unless edits already failed. */
export function asksForEdits(retry: RetryContext | undefined): boolean {
  return retry !== undefined && retry.strategy === "patch" && retry.previousFiles.length > 0 && retry.replyFormat !== "files";
}
