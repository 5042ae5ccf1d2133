/** Writes the KB's data directory atomically: every file goes to a temporary name first, then all are renamed. */
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface OutputFile {
  name: string;
  content: Buffer;
}

/**
 * Replaces the data files of `dir` with `files`: shard files (`*.json.gz`) of an earlier build that are not
 * written again are removed, except the names in `keep`.
 */
export async function writeDataDir(dir: string, files: OutputFile[], keep: string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  const written: string[] = [];
  try {
    for (const f of files) {
      const tmp = join(dir, `${f.name}${suffix}`);
      await writeFile(tmp, f.content);
      written.push(tmp);
    }
  } catch (err) {
    await Promise.all(written.map((t) => rm(t, { force: true })));
    throw err;
  }
  for (const f of files) await rename(join(dir, `${f.name}${suffix}`), join(dir, f.name));
  const names = new Set([...files.map((f) => f.name), ...keep]);
  for (const entry of await readdir(dir)) {
    if (entry.endsWith(".json.gz") && !names.has(entry)) await rm(join(dir, entry), { force: true });
  }
}
