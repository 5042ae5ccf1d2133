/**
 * Read access to the Airflow knowledge base (format.ts): which modules and names exist in which Airflow
 * versions, class members following bases, and signatures. Shards load lazily (one gzip file per package)
 * and stay cached, so a lookup costs only the shard it touches.
 *
 * Everything here answers "does not exist" only when the KB is sure; anything it cannot follow (a base class
 * outside the KB, a module `__getattr__`, a class with a custom `__getattr__`) is "unknown", which callers must
 * treat as valid.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { KbClass, KbIndex, KbModule, KbNameVariant, KbSignature, KbVersion } from "./format.js";
import { KB_FORMAT_VERSION, kbIndexSchema, kbModuleSchema } from "./format.js";
import * as z from "zod/mini";

/** A shard's envelope; its modules are checked one by one as they are read. */
const kbShardEnvelopeSchema = z.object({ format: z.literal(KB_FORMAT_VERSION), shard: z.string(), modules: z.record(z.string(), z.unknown()) });

export const DEFAULT_KB_DIR = join(dirname(fileURLToPath(import.meta.url)), "data");

/** Bases that add no members and no `__init__` a caller could trip over. */
const TRANSPARENT_BASES = new Set([
  "object",
  "typing.Generic",
  "Generic",
  "abc.ABC",
  "ABC",
  "typing.Protocol",
  "Protocol",
  "abc.ABCMeta",
]);

export type ParamKind = "positional-only" | "plain" | "keyword-only" | "args" | "kwargs";

export interface KbParam {
  name: string;
  kind: ParamKind;
  hasDefault: boolean;
  /** The parameter as written in Airflow's source. */
  text: string;
}

export interface ParsedSignature {
  params: KbParam[];
  hasKwargs: boolean;
  hasArgs: boolean;
  decorator?: "staticmethod" | "classmethod" | "property";
  /** Another decorator wraps the function: it may fill arguments (so none counts as required) or take more. */
  wrapped: boolean;
  /** The signature as written, parameters joined. */
  text: string;
}

/** A class as it stands in one version, with where it is defined. */
export interface ClassAt {
  qualified: string;
  cls: KbClass;
  deprecated?: string;
}

export type Lookup<T> = { status: "found"; value: T } | { status: "missing" } | { status: "unknown" };

const FOUND = <T>(value: T): Lookup<T> => ({ status: "found", value });
const MISSING: Lookup<never> = { status: "missing" };
const UNKNOWN: Lookup<never> = { status: "unknown" };

export class KnowledgeBase {
  readonly index: KbIndex;
  readonly versions: readonly KbVersion[];
  private readonly dir: string;
  private readonly shardOf = new Map<string, string>();
  /** Loaded shards: their modules as read, and whether their digest vouches for them (no per-module check). */
  private readonly shards = new Map<string, { modules: Record<string, unknown>; vouched: boolean }>();
  private readonly modules = new Map<string, KbModule>();
  private readonly initCache = new Map<string, Lookup<{ sig: ParsedSignature; owner: string }>>();
  private readonly memberCache = new Map<string, Lookup<Map<string, string>>>();
  // The KB never changes once open, so answers are kept: a run over many files asks the same questions again and again.
  private readonly splitCache = new Map<string, { module: string; rest: readonly string[] } | undefined>();
  private readonly resolveCache = new Map<string, Lookup<{ qualified: string; variant: KbNameVariant }>>();
  private readonly mroCache = new Map<string, Lookup<ClassAt[]>>();

  constructor(index: KbIndex, dir: string) {
    this.index = index;
    this.versions = index.versions;
    this.dir = dir;
    for (const [shard, modules] of Object.entries(index.shards)) for (const m of modules) this.shardOf.set(m, shard);
  }

  /** Mask of every version of the KB. */
  get allMask(): number {
    return (1 << this.versions.length) - 1;
  }

  /** Versions that are development snapshots of Airflow (`3.0.0.dev0`), not releases. */
  get developmentMask(): number {
    let mask = 0;
    this.versions.forEach((v, i) => {
      if (/dev|a\d|b\d|rc\d/.test(v.release)) mask |= 1 << i;
    });
    return mask;
  }

  /** Modules of Airflow itself (core and Task SDK) and, for a provider module, of the same provider. */
  *neighbourModuleNames(module: string): IterableIterator<string> {
    const own = this.shardOf.get(module) ?? (this.isProviderModule(module) ? this.providerShard(module) : undefined);
    for (const [m, shard] of this.shardOf) if (isCoreShard(shard) || shard === "sdk" || shard === own) yield m;
  }

  /** The shard of the provider a module path belongs to, judged by its longest listed package. */
  private providerShard(module: string): string | undefined {
    const parts = module.split(".");
    for (let i = parts.length - 1; i > 2; i--) {
      const shard = this.shardOf.get(parts.slice(0, i).join("."));
      if (shard) return shard;
    }
    return undefined;
  }

  /** Mask of the versions of one Airflow major. */
  majorMask(major: "2" | "3"): number {
    let mask = 0;
    this.versions.forEach((v, i) => {
      if (v.major === major) mask |= 1 << i;
    });
    return mask;
  }

  /** "2.9, 2.10" for a mask. */
  describeMask(mask: number): string {
    return this.versions.filter((_, i) => mask & (1 << i)).map((v) => v.id).join(", ");
  }

  /** Bits of a mask, lowest first. */
  bits(mask: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.versions.length; i++) if (mask & (1 << i)) out.push(1 << i);
    return out;
  }

  /** Whether the KB lists every module under this module's package, so that absence means non-existence. */
  covers(module: string): boolean {
    return this.index.complete.some((p) => module === p || module.startsWith(`${p}.`));
  }

  /** Every module the KB holds. */
  moduleNames(): IterableIterator<string> {
    return this.shardOf.keys();
  }

  /** Provider modules are installed independently of Airflow: any version of a provider counts on any Airflow. */
  isProviderModule(module: string): boolean {
    return module.startsWith("airflow.providers.");
  }

  /** The shard holding a module ("core" or "core.<subpackage>", "sdk", or a provider such as "amazon", "common.sql"). */
  shardName(module: string): string | undefined {
    return this.shardOf.get(module);
  }

  module(name: string): KbModule | undefined {
    const cached = this.modules.get(name);
    if (cached) return cached;
    const shard = this.shardOf.get(name);
    if (!shard) return undefined;
    const { modules, vouched } = this.loadShard(shard);
    const raw = modules[name];
    if (raw === undefined) return undefined;
    if (vouched) {
      // The builder checked this module against kbModuleSchema before hashing the shard it wrote.
      const entry = raw as KbModule;
      this.modules.set(name, entry);
      return entry;
    }
    // Without a digest each module is checked when first read: a lookup pays for the modules it touches.
    const parsed = kbModuleSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`knowledge base shard ${shard}: module ${name} is malformed at ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "unknown"}`);
    }
    this.modules.set(name, parsed.data);
    return parsed.data;
  }

  private loadShard(shard: string): { modules: Record<string, unknown>; vouched: boolean } {
    const cached = this.shards.get(shard);
    if (cached) return cached;
    const path = join(this.dir, `${shard}.json.gz`);
    const bytes = readFileSync(path);
    const digest = this.index.digests?.[shard];
    // Hashing the compressed bytes costs a fraction of what checking every module against the schema does.
    if (digest !== undefined && createHash("sha256").update(bytes).digest("hex") !== digest) {
      throw new Error(`knowledge base shard ${path} does not match its digest in index.json: it was changed after it was built (rebuild the KB with npm run kb:build)`);
    }
    const parsed = kbShardEnvelopeSchema.safeParse(JSON.parse(gunzipSync(bytes).toString("utf8")));
    if (!parsed.success) throw new Error(`knowledge base shard ${path} is malformed: ${parsed.error.issues[0]?.message ?? "unknown"}`);
    if (parsed.data.shard !== shard) throw new Error(`knowledge base shard ${path} holds shard ${parsed.data.shard}`);
    const loaded = { modules: parsed.data.modules, vouched: digest !== undefined };
    this.shards.set(shard, loaded);
    return loaded;
  }

  /** Variants of a module's name that hold in any version of `mask`. */
  nameVariants(module: string, name: string, mask: number): KbNameVariant[] {
    const entry = this.module(module);
    return (entry?.names[name] ?? []).filter((v) => v.v & mask);
  }

  /**
   * Splits a dotted path into the longest KB module prefix and the rest (`airflow.models.BaseOperator` →
   * `airflow.models` + `BaseOperator`).
   */
  splitQualified(path: string): { module: string; rest: readonly string[] } | undefined {
    if (this.splitCache.has(path)) return this.splitCache.get(path);
    let found: { module: string; rest: readonly string[] } | undefined;
    const parts = path.split(".");
    for (let i = parts.length; i > 0 && !found; i--) {
      const module = parts.slice(0, i).join(".");
      if (this.shardOf.has(module)) found = { module, rest: parts.slice(i) };
    }
    this.splitCache.set(path, found);
    return found;
  }

  /**
   * What `module.name` is in one version (a single bit), following re-exports to the definition.
   * "missing": the module exists and is decidable there but has no such name.
   */
  resolve(module: string, name: string, bit: number, depth = 0): Lookup<{ qualified: string; variant: KbNameVariant }> {
    if (depth > 12) return UNKNOWN;
    const key = `${module}\u0000${name}\u0000${bit}`;
    const cached = this.resolveCache.get(key);
    if (cached) return cached;
    const result = this.resolveUncached(module, name, bit, depth);
    // Kept only when found without running into the depth limit, which a deeper first call could have hit.
    if (depth === 0 || result.status !== "unknown") this.resolveCache.set(key, result);
    return result;
  }

  private resolveUncached(module: string, name: string, bit: number, depth: number): Lookup<{ qualified: string; variant: KbNameVariant }> {
    const entry = this.module(module);
    if (!entry) return UNKNOWN;
    if (!(entry.v & bit) || (entry.open ?? 0) & bit) return UNKNOWN;
    const variant = (entry.names[name] ?? []).find((v) => v.v & bit);
    if (!variant) {
      // A submodule is importable by name even when the package does not bind it.
      if (this.module(`${module}.${name}`)) return FOUND({ qualified: `${module}.${name}`, variant: { v: bit, k: "module" } });
      return MISSING;
    }
    if (variant.from && variant.k !== "module") {
      const split = this.splitQualified(variant.from);
      if (!split || split.rest.length !== 1) return UNKNOWN;
      const target = this.resolve(split.module, split.rest[0] as string, bit, depth + 1);
      if (target.status !== "found") return UNKNOWN;
      return variant.deprecated && !target.value.variant.deprecated
        ? FOUND({ ...target.value, variant: { ...target.value.variant, deprecated: variant.deprecated } })
        : target;
    }
    return FOUND({ qualified: `${module}.${name}`, variant });
  }

  /** The class a dotted path names in one version. */
  classAt(qualified: string, bit: number): Lookup<ClassAt> {
    const split = this.splitQualified(qualified);
    if (!split || split.rest.length !== 1) return UNKNOWN;
    const found = this.resolve(split.module, split.rest[0] as string, bit);
    if (found.status !== "found") return found;
    const { variant } = found.value;
    if (variant.k !== "class" || !variant.cls) return UNKNOWN;
    return FOUND({ qualified: found.value.qualified, cls: variant.cls, deprecated: variant.deprecated });
  }

  /** Method resolution order (left-to-right depth-first, first occurrence kept), or unknown when a base cannot be followed. */
  mro(qualified: string, bit: number): Lookup<ClassAt[]> {
    const key = `${qualified}@${bit}`;
    const cached = this.mroCache.get(key);
    if (cached) return cached;
    const result = this.mroUncached(qualified, bit);
    this.mroCache.set(key, result);
    return result;
  }

  private mroUncached(qualified: string, bit: number): Lookup<ClassAt[]> {
    const out: ClassAt[] = [];
    const seen = new Set<string>();
    const visit = (name: string, depth: number): boolean => {
      if (depth > 30) return false;
      const at = this.classAt(name, bit);
      if (at.status !== "found") return false;
      if (seen.has(at.value.qualified)) return true;
      seen.add(at.value.qualified);
      out.push(at.value);
      for (const base of at.value.cls.bases) {
        if (TRANSPARENT_BASES.has(base)) continue;
        if (!visit(base, depth + 1)) return false;
      }
      return true;
    };
    return visit(qualified, 0) ? FOUND(out) : UNKNOWN;
  }

  /** The `__init__` a call of the class runs in one version, with the class that defines it. */
  initOf(qualified: string, bit: number): Lookup<{ sig: ParsedSignature; owner: string }> {
    const key = `${qualified}@${bit}`;
    const cached = this.initCache.get(key);
    if (cached) return cached;
    let result: Lookup<{ sig: ParsedSignature; owner: string }> = UNKNOWN;
    const mro = this.mro(qualified, bit);
    if (mro.status === "found") {
      // A decorated class (`@dataclass`) before the first written `__init__` has one the source does not show.
      const at = mro.value.findIndex((c) => c.cls.init || c.cls.decorators);
      const owner = mro.value[at];
      if (owner?.cls.init && !owner.cls.decorators) result = FOUND({ sig: parseSignature(owner.cls.init), owner: owner.qualified });
    }
    this.initCache.set(key, result);
    return result;
  }

  /**
   * Every public member of the class in one version (methods, attributes, inherited ones) → the class that
   * defines it; unknown when a base is outside the KB or a class customises attribute lookup.
   */
  membersOf(qualified: string, bit: number): Lookup<Map<string, string>> {
    const key = `${qualified}@${bit}`;
    const cached = this.memberCache.get(key);
    if (cached) return cached;
    let result: Lookup<Map<string, string>> = UNKNOWN;
    const mro = this.mro(qualified, bit);
    if (mro.status === "found" && !mro.value.some((c) => c.cls.open)) {
      const members = new Map<string, string>();
      for (const c of mro.value) {
        for (const m of Object.keys(c.cls.methods)) if (!members.has(m)) members.set(m, c.qualified);
        for (const m of Object.keys(c.cls.attrs)) if (!members.has(m)) members.set(m, c.qualified);
      }
      result = FOUND(members);
    }
    this.memberCache.set(key, result);
    return result;
  }

  /** A method's signature as the first class in the MRO defines it. */
  methodOf(qualified: string, method: string, bit: number): Lookup<{ sig: ParsedSignature; owner: string }> {
    const mro = this.mro(qualified, bit);
    if (mro.status !== "found") return UNKNOWN;
    for (const c of mro.value) {
      const sig = c.cls.methods[method];
      if (sig) return FOUND({ sig: parseSignature(sig), owner: c.qualified });
      if (method in c.cls.attrs) return UNKNOWN;
    }
    return MISSING;
  }
}

/** Airflow's own modules outside the SDK: `core` (the `airflow` package) and one shard per subpackage (`core.models`). */
function isCoreShard(shard: string): boolean {
  return shard === "core" || shard.startsWith("core.");
}

let defaultKb: KnowledgeBase | null | undefined;

/** Opens a KB directory; throws with the path when its index is missing or malformed. */
export function openKnowledgeBase(dir: string): KnowledgeBase {
  const path = join(dir, "index.json");
  const bytes = readFileSync(path);
  const digestPath = join(dir, "index.sha256");
  if (existsSync(digestPath)) {
    // The builder checked the index against kbIndexSchema before writing it and its digest: a match vouches
    // for it, at a fraction of the cost of checking its thousands of module names again on every run.
    const digest = readFileSync(digestPath, "utf8").trim();
    if (createHash("sha256").update(bytes).digest("hex") !== digest) {
      throw new Error(`knowledge base index ${path} does not match ${digestPath}: it was changed after it was built (rebuild the KB with npm run kb:build)`);
    }
    return new KnowledgeBase(JSON.parse(bytes.toString("utf8")) as KbIndex, dir);
  }
  const parsed = kbIndexSchema.safeParse(JSON.parse(bytes.toString("utf8")));
  if (!parsed.success) throw new Error(`knowledge base index ${path} is malformed: ${parsed.error.issues[0]?.message ?? "unknown"}`);
  return new KnowledgeBase(parsed.data, dir);
}

/** The KB shipped with opforge (cached), or null when its data is not there. */
export function defaultKnowledgeBase(): KnowledgeBase | null {
  if (defaultKb === undefined) defaultKb = existsSync(join(DEFAULT_KB_DIR, "index.json")) ? openKnowledgeBase(DEFAULT_KB_DIR) : null;
  return defaultKb;
}

/** Splits at commas outside brackets and strings. */
function splitTopLevel(text: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === separator && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** Whether a parameter's text has a default: an `=` at top level (not part of `==`, `<=`, `>=`, `!=`). */
function hasTopLevelDefault(text: string): boolean {
  const parts = splitTopLevel(text, "=");
  if (parts.length < 2) return false;
  // `a: Literal["x"] = "y"` splits into 2+ parts; comparison operators would leave an empty or operator-ended part.
  for (let i = 0; i < parts.length - 1; i++) {
    const left = parts[i] as string;
    const right = parts[i + 1] as string;
    if (/[<>!=]$/.test(left) || right.startsWith("=")) continue;
    return true;
  }
  return false;
}

const DECORATORS: Record<string, ParsedSignature["decorator"] | "wrapped"> = {
  "@wrapped": "wrapped",
  "@staticmethod": "staticmethod",
  "@classmethod": "classmethod",
  "@property": "property",
};

/** Reads the KB's parameter strings into kinds and names. */
export function parseSignature(sig: KbSignature): ParsedSignature {
  const params: KbParam[] = [];
  let decorator: ParsedSignature["decorator"];
  let wrapped = false;
  let keywordOnly = false;
  const shown: string[] = [];
  for (const raw of sig) {
    const dec = DECORATORS[raw];
    if (dec === "wrapped") {
      wrapped = true;
      continue;
    }
    if (dec) {
      decorator = dec;
      continue;
    }
    shown.push(raw);
    if (raw === "/") {
      for (const p of params) if (p.kind === "plain") p.kind = "positional-only";
      continue;
    }
    if (raw === "*") {
      keywordOnly = true;
      continue;
    }
    const m = /^(\*{0,2})([A-Za-z_]\w*)/.exec(raw);
    if (!m) continue;
    const stars = m[1] as string;
    const name = m[2] as string;
    if (stars === "**") params.push({ name, kind: "kwargs", hasDefault: true, text: raw });
    else if (stars === "*") {
      params.push({ name, kind: "args", hasDefault: true, text: raw });
      keywordOnly = true;
    } else params.push({ name, kind: keywordOnly ? "keyword-only" : "plain", hasDefault: hasTopLevelDefault(raw), text: raw });
  }
  return {
    params,
    hasKwargs: params.some((p) => p.kind === "kwargs"),
    hasArgs: params.some((p) => p.kind === "args"),
    decorator,
    wrapped,
    text: shown.join(", "),
  };
}
