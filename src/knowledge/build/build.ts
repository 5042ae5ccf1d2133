/**
 * Builds the Airflow knowledge base (format.ts) from named refs of an Airflow git repository: every module
 * of each ref is read from the tree-sitter tree (each distinct file once), resolved within its version,
 * merged into one entry per module with version masks, and written as an index and gzip shards.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { KbConstraints, KbIndex, KbModule, KbNameVariant, KbShard, KbVersion } from "../format.js";
import { KB_FORMAT_VERSION, kbIndexSchema, kbShardSchema } from "../format.js";
import { encodeConstraints } from "./constraints.js";
import type { RawBinding, RawModule } from "./extract.js";
import { extractModule } from "./extract.js";
import { listTree, readBlobs, resolveCommit } from "./git.js";
import type { SourceFile, TreeLayout } from "./layout.js";
import { SKIPPED_CORE, SKIPPED_DIRS, classifyTree, completePrefixes } from "./layout.js";
import type { ResolvedModule, VersionModule } from "./resolve.js";
import { VersionResolver } from "./resolve.js";
import type { OutputFile } from "./write.js";
import { writeDataDir } from "./write.js";

export interface KbVersionSpec {
  id: string;
  major: "2" | "3";
  ref: string;
}

/** The versions opforge ships: bit i of a mask is entry i. */
export const DEFAULT_VERSIONS: KbVersionSpec[] = [
  { id: "2.9", major: "2", ref: "2.9.3" },
  { id: "2.10", major: "2", ref: "2.10.3" },
  { id: "2.11", major: "2", ref: "2.11.1-develop" },
  { id: "3.0", major: "3", ref: "main" },
];

export interface BuildOptions {
  gitDir: string;
  versions: KbVersionSpec[];
  outDir: string;
  /** Builds `constraints.json.gz`; without it an existing file is left as it is. */
  constraints?: (gitDir: string) => Promise<KbConstraints>;
  /** Provider ids to keep (all when absent). */
  providers?: string[];
  /** Where the repository comes from, for the notice (a bare mirror does not say). */
  source?: string;
  log?: (message: string) => void;
}

export interface BuildResult {
  index: KbIndex;
  /** Written files and their sizes in bytes. */
  files: { name: string; bytes: number }[];
  totalBytes: number;
  millis: number;
  /** Modules whose source tree-sitter could not parse cleanly (kept, marked open). */
  parseErrors: string[];
}

interface VersionData {
  spec: KbVersionSpec;
  commit: string;
  layout: TreeLayout;
  modules: Map<string, VersionModule>;
  shardOf: Map<string, string>;
}

export async function buildKnowledgeBase(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const { gitDir } = options;
  const cache = new Map<string, RawModule>();
  const parseErrors = new Set<string>();
  const versions: VersionData[] = [];
  for (const spec of options.versions) {
    const commit = await resolveCommit(gitDir, spec.ref);
    const layout = classifyTree(await listTree(gitDir, commit));
    if (options.providers) {
      const keep = new Set(options.providers);
      layout.files = layout.files.filter((f) => f.shard === "core" || f.shard === "sdk" || keep.has(f.shard));
      layout.stubs = layout.stubs.filter((f) => f.shard === "core" || f.shard === "sdk" || keep.has(f.shard));
      for (const id of [...layout.providers.keys()]) if (!keep.has(id)) layout.providers.delete(id);
    }
    const key = (f: SourceFile): string => `${f.oid}\0${f.module}\0${f.isPackage ? 1 : 0}`;
    const todo = layout.files.filter((f) => !cache.has(key(f)));
    const byOid = new Map<string, SourceFile[]>();
    for (const f of todo) byOid.set(f.oid, [...(byOid.get(f.oid) ?? []), f]);
    const blobs: [string, Buffer][] = [];
    await readBlobs(gitDir, [...byOid.keys()], (oid, content) => blobs.push([oid, content]));
    for (const [oid, content] of blobs) {
      const source = content.toString("utf8");
      for (const f of byOid.get(oid) ?? []) {
        const raw = await extractModule(source, f.module, f.isPackage);
        cache.set(key(f), raw);
      }
    }
    const modules = new Map<string, VersionModule>();
    const shardOf = new Map<string, string>();
    for (const f of layout.files) {
      const raw = cache.get(key(f)) as RawModule;
      if (raw.open && raw.parseError) parseErrors.add(`${spec.id}:${f.path}`);
      modules.set(f.module, { raw, isPackage: f.isPackage });
      shardOf.set(f.module, f.shard);
    }
    for (const stub of layout.stubs) {
      modules.set(stub.module, { raw: { bindings: {}, stars: [], open: true }, isPackage: true });
      shardOf.set(stub.module, stub.shard);
    }
    addShimModules(modules, shardOf);
    versions.push({ spec, commit, layout, modules, shardOf });
    log(`${spec.ref} (${commit.slice(0, 10)}): ${layout.files.length} modules, ${todo.length} read, ${Date.now() - started} ms`);
  }

  const allModules = new Set<string>();
  const skipped = new Set<string>();
  const providerPrefixes = new Set<string>();
  let hasSdk = false;
  for (const v of versions) {
    for (const m of v.modules.keys()) allModules.add(m);
    for (const s of v.layout.skipped) skipped.add(s);
    for (const p of v.layout.providers.values()) providerPrefixes.add(p);
    hasSdk ||= v.layout.hasSdk;
  }
  const complete = completePrefixes(allModules, skipped, providerPrefixes, hasSdk);

  // Resolve each version, then merge the versions into one entry per module.
  const merged = new Map<string, KbModule>();
  const shardOf = new Map<string, string>();
  versions.forEach((v, i) => {
    const bit = 1 << i;
    const resolved = new VersionResolver(v.modules, complete).resolveAll();
    for (const [name, module] of resolved) {
      mergeVersion(merged, name, module, bit);
      shardOf.set(name, v.shardOf.get(name) ?? "core");
    }
  });

  const shards = new Map<string, Record<string, KbModule>>();
  for (const name of [...merged.keys()].sort()) {
    const shard = shardFileOf(shardOf.get(name) ?? "core", name);
    const modules = shards.get(shard) ?? {};
    modules[name] = merged.get(name) as KbModule;
    shards.set(shard, modules);
  }
  const kbVersions: KbVersion[] = versions.map((v) => ({
    id: v.spec.id,
    major: v.spec.major,
    ref: v.spec.ref,
    commit: v.commit,
    release: v.modules.get("airflow")?.raw.version ?? "",
  }));
  const shardNames = [...shards.keys()].sort();
  const shardFiles: OutputFile[] = [];
  const digests: Record<string, string> = {};
  for (const s of shardNames) {
    // Checked here, once, against the schema readers rely on: a reader trusts a shard whose digest matches.
    const shard: KbShard = kbShardSchema.parse({ format: KB_FORMAT_VERSION, shard: s, modules: shards.get(s) ?? {} });
    const content = gzipSync(JSON.stringify(shard), { level: 9 });
    digests[s] = createHash("sha256").update(content).digest("hex");
    shardFiles.push({ name: `${s}.json.gz`, content });
  }
  const index: KbIndex = {
    format: KB_FORMAT_VERSION,
    versions: kbVersions,
    shards: Object.fromEntries(shardNames.map((s) => [s, Object.keys(shards.get(s) ?? {})])),
    complete,
    digests,
  };

  const indexBytes = Buffer.from(JSON.stringify(index));
  // The index is checked here too; its digest beside it lets a reader skip checking it again.
  kbIndexSchema.parse(index);
  const files: OutputFile[] = [
    { name: "index.json", content: indexBytes },
    { name: "index.sha256", content: Buffer.from(`${createHash("sha256").update(indexBytes).digest("hex")}\n`) },
    ...shardFiles,
  ];
  const constraints = options.constraints ? await options.constraints(gitDir) : undefined;
  if (constraints) files.push({ name: "constraints.json.gz", content: encodeConstraints(constraints) });
  files.push({ name: "NOTICE.md", content: Buffer.from(notice(kbVersions, [...providerPrefixes].length, constraints, options.source)) });
  const keep = options.constraints ? [] : ["constraints.json.gz"];
  await writeDataDir(options.outDir, files, keep);
  const sizes = files.map((f) => ({ name: f.name, bytes: f.content.length }));
  return { index, files: sizes, totalBytes: sizes.reduce((a, f) => a + f.bytes, 0), millis: Date.now() - started, parseErrors: [...parseErrors].sort() };
}

/**
 * Airflow's deprecation shims: `add_deprecated_classes({"sub": {"Old": "new.module.New"}}, __name__)` in a
 * package installs `<package>.sub` as a module whose names are deprecated aliases. Installed when the
 * package is imported, so the alias module wins over a file of the same name.
 */
function addShimModules(modules: Map<string, VersionModule>, shardOf: Map<string, string>): void {
  for (const [pkg, entry] of [...modules]) {
    for (const [sub, names] of Object.entries(entry.raw.shims ?? {})) {
      const bindings: Record<string, RawBinding> = {};
      const targets = new Map<string, number>();
      for (const [name, target] of Object.entries(names)) {
        bindings[name] = { k: "import", origin: { path: target }, deprecated: target, asGiven: true };
        const module = target.slice(0, target.lastIndexOf("."));
        targets.set(module, (targets.get(module) ?? 0) + 1);
      }
      // The module most of its names moved to.
      const movedTo = [...targets].sort((a, b) => b[1] - a[1])[0]?.[0];
      const raw: RawModule = { bindings, stars: [] };
      if (movedTo) raw.movedTo = movedTo;
      modules.set(`${pkg}.${sub}`, { raw, isPackage: false });
      shardOf.set(`${pkg}.${sub}`, shardOf.get(pkg) ?? "core");
    }
  }
}

/** Adds one version (a single bit) of a module to its merged entry; equal variants share a mask. */
function mergeVersion(merged: Map<string, KbModule>, name: string, resolved: ResolvedModule, bit: number): void {
  const entry: KbModule = merged.get(name) ?? { v: 0, names: {} };
  entry.v |= bit;
  if (resolved.open) entry.open = (entry.open ?? 0) | bit;
  if (resolved.movedTo !== undefined) {
    entry.movedTo ??= [];
    addMasked(entry.movedTo, { to: resolved.movedTo }, bit);
  }
  if (resolved.all) {
    entry.all ??= [];
    addMasked(entry.all, { names: resolved.all }, bit);
  }
  for (const [n, variant] of resolved.names) {
    const list: KbNameVariant[] = (entry.names[n] ??= []);
    addMasked(list, variant, bit);
  }
  merged.set(name, entry);
}

/** Adds `value` under `bit` to the variant equal to it (by JSON without `v`), or as a new variant. */
function addMasked<T extends object>(list: (T & { v: number })[], value: T, bit: number): void {
  const key = JSON.stringify(value);
  for (const item of list) {
    const { v: _v, ...rest } = item;
    if (JSON.stringify(rest) === key) {
      item.v |= bit;
      return;
    }
  }
  list.push({ v: bit, ...value } as T & { v: number });
}

function notice(versions: KbVersion[], providers: number, constraints: KbConstraints | undefined, source: string | undefined): string {
  const refs = versions.map((v) => `- ${v.id}: ref \`${v.ref}\`, commit \`${v.commit}\`${v.release ? `, release ${v.release}` : ""}`).join("\n");
  const pins = constraints
    ? `\n## Constraints (constraints.json.gz)\nLibrary pins (PEP 503 names and versions only) read from Airflow's constraints files:\n${constraints.versions
        .map((c) => `- ${c.airflow}: \`${c.file}\` at ref \`${c.ref}\`, commit \`${c.commit}\``)
        .join("\n")}\n`
    : "";
  return `# Airflow knowledge base — notice

The files in this directory hold facts derived from the source code of Apache Airflow
(https://github.com/apache/airflow), Copyright The Apache Software Foundation, licensed under the
Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). They contain no Airflow code:
only module and class names, signatures, a few literal attribute values and deprecation notes, read
from the syntax tree of each module by \`npm run kb:build\`.
${source ? `\nSource repository: ${source}\n` : ""}
## Versions (bit i of a mask = version i)
${refs}

## What was read
- Core: \`airflow/**\` outside providers, except ${SKIPPED_CORE.map((d) => `\`${d}\``).join(", ")} and \`airflow/__main__.py\`.
- Task SDK: \`task-sdk/src/airflow/sdk/**\` (module \`airflow.sdk\`), where the ref has it.
- Providers (${providers}): \`airflow/providers/<id>/**\` (2.x) or \`providers/<path>/src/airflow/providers/<path>/**\` (main),
  one shard per provider id; namespace packages above a provider's root are not read.
- Everywhere, directories named ${SKIPPED_DIRS.map((d) => `\`${d}\``).join(", ")} are skipped.
- The top package of each skipped tree is listed as a module (it exists) that is open: its names and
  submodules are not read.
- Names bound only under \`if TYPE_CHECKING:\` do not exist at run time and are left out; names bound
  only in some branches of \`try\`/\`if\` are marked \`guarded\`. Private names are left out, except
  private classes that listed classes inherit from.
${pins}`;
}

/**
 * The shard a module's facts are written to. Airflow's core is split by subpackage (`core.models`,
 * `core.utils`; the `airflow` package itself stays in `core`): a component touches a few of its fifty-odd
 * subpackages, and reading the whole of core (1.2 MB of JSON) cost a single-file check more than the check.
 */
export function shardFileOf(shard: string, module: string): string {
  if (shard !== "core") return shard;
  const sub = module.split(".")[1];
  return sub === undefined ? "core" : `core.${sub}`;
}
