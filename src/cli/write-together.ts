import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, rmdirSync, statSync, writeSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** A set of files that could not be written; nothing of it was left behind. */
export class WriteFilesError extends Error {
  override name = "WriteFilesError";
}

function errnoText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    case "ENOTDIR":
      return "a parent is not a directory";
    case "EISDIR":
      return "it is a directory";
    case "EEXIST":
      return "a file is in the way";
    default:
      return typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
  }
}

function writeDurably(path: string, content: string): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    writeSync(fd, content, null, "utf8");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function kindOf(path: string): "missing" | "file" | "directory" | "other" {
  try {
    const stat = lstatSync(path);
    return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}

/**
 * Writes `files` (paths relative to `outDir`) all or none: every file is first written and synced into a
 * temporary directory inside `outDir`, then each is renamed into place; an existing file it replaces is
 * kept aside until every rename succeeded and put back if one fails. Throws a WriteFilesError whose
 * message names the path and the reason, never a stack.
 */
export function writeFilesTogether(outDir: string, files: readonly { path: string; content: string }[], shown: (path: string) => string = (p) => p): string[] {
  const outKind = kindOf(outDir);
  if (outKind !== "missing" && outKind !== "directory") throw new WriteFilesError(`--out ${shown(outDir)} exists and is not a directory`);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new WriteFilesError(`cannot create the output directory ${shown(outDir)}: ${errnoText(error)}`);
  }
  const targets = files.map((f) => join(outDir, f.path));
  for (const target of targets) {
    const kind = kindOf(target);
    if (kind === "directory" || kind === "other") throw new WriteFilesError(`cannot write ${shown(target)}: ${kind === "directory" ? "it is a directory" : "it is not a regular file"}`);
    for (let dir = dirname(target); relative(outDir, dir) !== ""; dir = dirname(dir)) {
      const dirKind = kindOf(dir);
      if (dirKind !== "missing" && dirKind !== "directory") throw new WriteFilesError(`cannot write ${shown(target)}: ${shown(dir)} is not a directory`);
    }
  }

  const staging = join(outDir, `.opforge-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    mkdirSync(staging);
  } catch (error) {
    throw new WriteFilesError(`cannot write into ${shown(outDir)}: ${errnoText(error)}`);
  }
  const moved: { target: string; backup: string | null; placed: boolean }[] = [];
  const createdDirs: string[] = [];
  try {
    files.forEach((file, i) => {
      try {
        writeDurably(join(staging, `${i}.new`), file.content);
      } catch (error) {
        throw new WriteFilesError(`cannot write ${shown(targets[i] ?? file.path)}: ${errnoText(error)}`);
      }
    });
    targets.forEach((target, i) => {
      try {
        const missingDirs: string[] = [];
        for (let dir = dirname(target); kindOf(dir) === "missing"; dir = dirname(dir)) missingDirs.unshift(dir);
        mkdirSync(dirname(target), { recursive: true });
        createdDirs.push(...missingDirs);
        const entry = { target, backup: kindOf(target) === "file" ? join(staging, `${i}.old`) : null, placed: false };
        moved.push(entry);
        if (entry.backup !== null) renameSync(target, entry.backup);
        renameSync(join(staging, `${i}.new`), target);
        entry.placed = true;
        // The replaced file's mode carries over.
        if (entry.backup !== null) chmodSync(target, statSync(entry.backup).mode & 0o7777);
      } catch (error) {
        throw new WriteFilesError(`cannot write ${shown(target)}: ${errnoText(error)}`);
      }
    });
  } catch (error) {
    // Put everything back as it was: moved files out, replaced files back, directories made for them removed.
    for (const { target, backup, placed } of moved.reverse()) {
      try {
        if (placed) rmSync(target, { force: true });
        if (backup !== null) renameSync(backup, target);
      } catch {
        // Best effort: the error below still names what failed.
      }
    }
    for (const dir of createdDirs.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty or already gone.
      }
    }
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return targets;
}
