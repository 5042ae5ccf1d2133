/**
 * What `opforge validate` does to one file: read it, infer its kind, find the modules importable next to it,
 * validate (or repair and rewrite) it. Shared by the command's own thread and the worker threads of its pool,
 * so both paths give the same result for a file. The I/O is synchronous: a file's check is CPU work that
 * waiting on the event loop between files would only slow down. The validator itself loads when the first
 * checker is made, so that importing this module costs nothing.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { AppliedFix, FileKind, Finding, ValidateOptions } from "../python/index.js";
import type { LearnedRuleData } from "../learn/fixes/engine-rules.js";

export interface FileJob {
  abs: string;
  /** The path as the user named it (relative to the working directory or as given): what the report prints. */
  shown: string;
}

export interface FileResult {
  path: string;
  findings: Finding[];
  applied: AppliedFix[];
  /** Why --fix left the file as it was although fixes were found (it changed meanwhile, or would not encode back). */
  notWritten?: string;
}

/** A checked file's result, or why it could not be read. */
export type FileOutcome = { result: FileResult } | { unreadable: string };

/** What every file's check shares; plain data, so that it can be handed to worker threads. */
export interface CheckSettings {
  base: ValidateOptions;
  cwd: string;
  fix: boolean;
  /** Learned rules applied with the built-in fixers under --fix (`opforge validate --fix --learned`). */
  learned?: LearnedRuleData[];
}

/** test_*.py → test; under a dags/ directory or defining a DAG → dag; otherwise a component. */
export function inferKind(path: string, source: string): FileKind {
  const name = basename(path);
  if (/^test_.*\.py$/.test(name) || /_test\.py$/.test(name) || name === "conftest.py") return "test";
  if (path.split(/[\\/]/).slice(0, -1).includes("dags")) return "dag";
  if (/\bwith\s+(models\.)?DAG\s*\(|^\s*@dag\b/m.test(source)) return "dag";
  return "component";
}

/** Modules importable from a file's directory without installing anything: sibling *.py files and packages. */
function siblingModules(dir: string, cache: Map<string, string[]>): string[] {
  let found = cache.get(dir);
  if (!found) {
    try {
      found = readdirSync(dir, { withFileTypes: true })
        .filter((e) => (e.isFile() && e.name.endsWith(".py")) || (e.isDirectory() && !e.name.startsWith(".")))
        .map((e) => e.name.replace(/\.py$/, ""));
    } catch {
      found = [];
    }
    cache.set(dir, found);
  }
  return found;
}

/**
 * Airflow puts `plugins/` and `dags/` on `sys.path`, so what sits there imports as a top-level module from
 * anywhere in the project: found by looking for those folders in the file's directory and its ancestors.
 */
function airflowPathModules(dir: string, cache: Map<string, string[]>): string[] {
  const found: string[] = [];
  let current = dir;
  for (let depth = 0; depth < 8; depth++) {
    for (const root of ["plugins", "dags"]) {
      const candidate = basename(current) === root ? current : join(current, root);
      found.push(...siblingModules(candidate, cache));
    }
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return found;
}

/**
 * Replaces a file's content in one step: a temporary file beside it, written and synced to disk, then renamed
 * over it, so that a reader (or a second writer, or a full disk) never leaves half a file. The file keeps its
 * mode and, where the process may set them, its owner and group; a symbolic link keeps pointing at it.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    // A file that does not exist (any more) is simply created.
  }
  let original: Stats | undefined;
  try {
    original = statSync(target);
  } catch {
    // No original to copy the mode and owner from.
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    const fd = openSync(temp, "wx", 0o600);
    try {
      const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (original !== undefined) {
      chmodSync(temp, original.mode & 0o7777);
      try {
        chownSync(temp, original.uid, original.gid);
      } catch {
        // Only root may give a file away; an unprivileged user's files are theirs already.
      }
    }
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was written.
    }
    throw error;
  }
  try {
    // The rename itself is durable once the directory is synced.
    const dir = openSync(dirname(target), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Not every platform syncs a directory.
  }
}

/** What a file was when it was read, to tell whether it changed before it is rewritten. */
export interface ReadSnapshot {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

function snapshotOf(stat: Stats, bytes: Uint8Array): ReadSnapshot {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * Rewrites `path` with `content` unless it changed since `snapshot` was taken (size, modification time,
 * inode, content hash): an edit made while --fix ran is never overwritten. Returns whether it wrote.
 */
export function writeIfUnchanged(path: string, snapshot: ReadSnapshot, content: Uint8Array): boolean {
  let now: Stats;
  let bytes: Buffer;
  try {
    now = statSync(path);
    bytes = readFileSync(path);
  } catch {
    return false;
  }
  const current = snapshotOf(now, bytes);
  if (current.size !== snapshot.size || current.mtimeMs !== snapshot.mtimeMs || current.ino !== snapshot.ino || current.sha256 !== snapshot.sha256) {
    return false;
  }
  writeFileAtomic(path, content);
  return true;
}

/** Files above this are not read at all; below it the validator's own limit (in characters) applies. */
export const MAX_FILE_BYTES = 20_000_000;

function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

type ReadOutcome = { bytes: Buffer; snapshot: ReadSnapshot } | { unreadable: string } | { tooLarge: number };

/**
 * Reads a file only when it is a regular file: a FIFO or a device would block the read forever or never
 * end, so it is opened without blocking and refused from its type. A file over MAX_FILE_BYTES is refused
 * from its size, without reading it.
 */
export function readRegularFile(path: string): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { unreadable: code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : (error as Error).message };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { unreadable: `${fileKind(stat)}, not a regular file; name a .py file` };
    if (stat.size > MAX_FILE_BYTES) return { tooLarge: stat.size };
    const bytes = readFileSync(fd);
    return { bytes, snapshot: snapshotOf(stat, bytes) };
  } catch (error) {
    return { unreadable: (error as Error).message };
  } finally {
    closeSync(fd);
  }
}

function finding(rule: string, category: Finding["category"], line: number, column: number, message: string): Finding {
  return { rule, category, severity: "error", line, column, message, fixable: false };
}

/** A function that checks one file after another; it keeps a cache of directory listings between files. */
export async function createChecker(settings: CheckSettings): Promise<(file: FileJob) => Promise<FileOutcome>> {
  const { repairPython, validatePython } = await import("../python/index.js");
  const learned = settings.fix && settings.learned?.length ? await (await import("../learn/fixes/engine-rules.js")).engineRules(settings.learned) : [];
  const directories = new Map<string, string[]>();
  const { decodeSource, encodeSource } = await import("../python/encoding.js");
  return async (file) => {
    const read = readRegularFile(file.abs);
    if ("unreadable" in read) return { unreadable: `cannot read ${file.shown}: ${read.unreadable}` };
    if ("tooLarge" in read) {
      const message = `not analysed: the file has ${read.tooLarge.toLocaleString("en-US")} bytes; opforge reads files up to ${MAX_FILE_BYTES.toLocaleString("en-US")}; split the module or check it with other tools`;
      return { result: { path: file.shown, findings: [finding("file-too-large", "limits", 1, 1, message)], applied: [] } };
    }
    // PEP 263 coding line and BOM honoured, decoded strictly: a file that does not decode is CPython's SyntaxError.
    const decoded = decodeSource(read.bytes);
    if (!decoded.ok) {
      return { result: { path: file.shown, findings: [finding("syntax-error", "syntax", decoded.line, decoded.column, decoded.message)], applied: [] } };
    }
    const source = decoded.text;
    const kind = inferKind(relative(settings.cwd, file.abs) || file.shown, source);
    const dir = dirname(file.abs);
    const options: ValidateOptions = {
      ...settings.base,
      path: file.shown,
      kind,
      localModules: [...new Set([...siblingModules(dir, directories), ...airflowPathModules(dir, directories)])],
    };
    if (kind !== "component") delete options.className;
    if (settings.fix) {
      const repaired = await repairPython(source, options, learned);
      if (repaired.source === source) return { result: { path: file.shown, findings: repaired.report.findings, applied: repaired.applied } };
      const encodingName = typeof decoded.encoding === "string" ? decoded.encoding : decoded.encoding.other;
      const bytes = decoded.writable ? encodeSource(repaired.source, decoded.encoding, decoded.bom) : undefined;
      let notWritten: string | undefined;
      if (!decoded.writable) notWritten = `${file.shown} was not rewritten: opforge cannot write ${encodingName} back byte for byte`;
      else if (bytes === undefined) notWritten = `${file.shown} was not rewritten: the fixes need characters that ${encodingName} cannot hold`;
      else {
        try {
          if (!writeIfUnchanged(file.abs, read.snapshot, bytes)) notWritten = `${file.shown} changed while --fix ran; it was not rewritten, so that edit is kept (run --fix again)`;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const why = code === "ENOSPC" ? "no space left on the device" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : (error as Error).message;
          notWritten = `${file.shown} could not be rewritten (${why}); it is unchanged`;
        }
      }
      if (notWritten === undefined) return { result: { path: file.shown, findings: repaired.report.findings, applied: repaired.applied } };
      const report = await validatePython(source, options);
      return { result: { path: file.shown, findings: report.findings, applied: [], notWritten } };
    }
    const report = await validatePython(source, options);
    return { result: { path: file.shown, findings: report.findings, applied: [] } };
  };
}
