/**
 * Reading a bare git repository without a work tree: refs, tree listings and blob contents. Blobs come from
 * one long-running `git cat-file --batch` process per call, so thousands of files cost one process.
 */
import { spawn } from "node:child_process";

export interface TreeEntry {
  path: string;
  oid: string;
}

/** Runs git and returns its stdout; rejects with git's stderr on a non-zero exit. */
export function git(gitDir: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["--git-dir", gitDir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.join(" ")} failed (${code}): ${Buffer.concat(err).toString("utf8").trim()}`));
    });
  });
}

/** The commit a ref (branch, tag, commit) points to. */
export async function resolveCommit(gitDir: string, ref: string): Promise<string> {
  return (await git(gitDir, ["rev-parse", "--verify", `${ref}^{commit}`])).toString("utf8").trim();
}

/** Every blob of a commit's tree, recursively (symlinks and submodules left out). */
export async function listTree(gitDir: string, commit: string): Promise<TreeEntry[]> {
  const out = (await git(gitDir, ["ls-tree", "-r", "-z", "--full-tree", commit])).toString("utf8");
  const entries: TreeEntry[] = [];
  for (const record of out.split("\0")) {
    if (!record) continue;
    // "<mode> <type> <oid>\t<path>"
    const tab = record.indexOf("\t");
    const [mode, type, oid] = record.slice(0, tab).split(" ");
    if (type !== "blob" || mode === "120000" || !oid) continue;
    entries.push({ path: record.slice(tab + 1), oid });
  }
  return entries;
}

/**
 * Reads blobs through one `git cat-file --batch` process; `onBlob` sees each blob in the order asked.
 * Missing objects reject the whole read.
 */
export function readBlobs(gitDir: string, oids: string[], onBlob: (oid: string, content: Buffer) => void): Promise<void> {
  if (oids.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["--git-dir", gitDir, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    const err: Buffer[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let failure: Error | undefined;
    /** Bytes of the current blob still expected (plus its trailing newline); -1 while reading a header. */
    let header: { oid: string; size: number } | undefined;
    const consume = (): void => {
      for (;;) {
        if (!header) {
          const nl = pending.indexOf(10);
          if (nl < 0) return;
          const line = pending.subarray(0, nl).toString("utf8");
          pending = pending.subarray(nl + 1);
          const [oid, type, size] = line.split(" ");
          if (type === "missing" || !oid || size === undefined) {
            failure ??= new Error(`git cat-file: ${line}`);
            continue;
          }
          header = { oid, size: Number(size) };
        }
        if (pending.length < header.size + 1) return;
        const content = pending.subarray(0, header.size);
        pending = pending.subarray(header.size + 1);
        const { oid } = header;
        header = undefined;
        try {
          onBlob(oid, content);
        } catch (e) {
          failure ??= e as Error;
        }
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      consume();
    });
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`git cat-file failed (${code}): ${Buffer.concat(err).toString("utf8").trim()}`));
      else resolve();
    });
    child.stdin.on("error", (e) => (failure ??= e));
    child.stdin.end(`${oids.join("\n")}\n`);
  });
}
