/**
 * What `opforge validate` does to one file: read it, infer its kind, find the modules importable next to it,
 * validate (or repair and rewrite) it. Shared by the command's own thread and the worker threads of its pool,
 * so both paths give the same result for a file. The I/O is synchronous: a file's check is CPU work that
 * waiting on the event loop between files would only slow down. The validator itself loads when the first
 * checker is made, so that importing this module costs nothing.
 */
import { chmodSync, readFileSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
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
 * Replaces a file's content in one step: a temporary file beside it, renamed over it, so that a reader (or
 * a second writer) never sees half a file. The file keeps its mode; a symbolic link keeps pointing at it.
 */
export function writeFileAtomic(path: string, text: string): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    // A file that does not exist (any more) is simply created.
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    writeFileSync(temp, text, "utf8");
    try {
      chmodSync(temp, statSync(target).mode & 0o7777);
    } catch {
      // No original to copy the mode from.
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
}

/** A function that checks one file after another; it keeps a cache of directory listings between files. */
export async function createChecker(settings: CheckSettings): Promise<(file: FileJob) => Promise<FileOutcome>> {
  const { repairPython, validatePython } = await import("../python/index.js");
  const learned = settings.fix && settings.learned?.length ? await (await import("../learn/fixes/engine-rules.js")).engineRules(settings.learned) : [];
  const directories = new Map<string, string[]>();
  return async (file) => {
    let source: string;
    try {
      source = readFileSync(file.abs, "utf8");
    } catch (error) {
      return { unreadable: `cannot read ${file.shown}: ${(error as Error).message}` };
    }
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
      if (repaired.source !== source) writeFileAtomic(file.abs, repaired.source);
      return { result: { path: file.shown, findings: repaired.report.findings, applied: repaired.applied } };
    }
    const report = await validatePython(source, options);
    return { result: { path: file.shown, findings: report.findings, applied: [] } };
  };
}
