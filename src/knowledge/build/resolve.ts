/**
 * One Airflow version's modules, resolved: re-exports followed to where the name is defined, star imports
 * expanded, the live branch of `try`/`if` imports chosen (the first whose import exists in this version),
 * and class bases made fully qualified.
 */
import type { KbClass, KbNameVariant } from "../format.js";
import type { RawBinding, RawClass, RawModule, RawOrigin } from "./extract.js";

export interface VersionModule {
  raw: RawModule;
  isPackage: boolean;
}

/** A module of one version as the KB stores it, without version masks. */
export interface ResolvedModule {
  open: boolean;
  movedTo?: string;
  all?: string[];
  names: Map<string, Omit<KbNameVariant, "v">>;
}

type Found = { status: "found"; qualified: string; k: KbNameVariant["k"] };
type Lookup = Found | { status: "missing" } | { status: "unknown" };

const MISSING: Lookup = { status: "missing" };
const UNKNOWN: Lookup = { status: "unknown" };
const MAX_DEPTH = 24;

interface Effective {
  bindings: Map<string, RawBinding>;
  open: boolean;
}

export class VersionResolver {
  private readonly effectiveMemo = new Map<string, Effective>();
  private readonly inProgress = new Set<string>();
  private readonly chosenMemo = new Map<string, RawBinding>();
  private readonly lookupMemo = new Map<string, Lookup>();

  constructor(
    private readonly modules: Map<string, VersionModule>,
    private readonly complete: string[],
  ) {}

  /** Whether the KB lists every module under this name's package (absence then means non-existence). */
  covered(module: string): boolean {
    return this.complete.some((p) => module === p || module.startsWith(`${p}.`));
  }

  resolveModule(name: string): ResolvedModule {
    const entry = this.modules.get(name);
    if (!entry) throw new Error(`unknown module ${name}`);
    const eff = this.effective(name);
    const names = new Map<string, Omit<KbNameVariant, "v">>();
    for (const [n, binding] of [...eff.bindings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (n.startsWith("_")) continue;
      names.set(n, this.variant(name, n, binding));
    }
    const out: ResolvedModule = { open: eff.open, names };
    if (entry.raw.movedTo !== undefined) out.movedTo = entry.raw.movedTo;
    if (entry.raw.all) out.all = entry.raw.all;
    return out;
  }

  /**
   * Every module of the version. Private names are left out, except private classes that a listed class
   * inherits from (`_BasePythonVirtualenvOperator`): without them inheritance could not be followed.
   */
  resolveAll(): Map<string, ResolvedModule> {
    const out = new Map<string, ResolvedModule>();
    for (const name of this.modules.keys()) out.set(name, this.resolveModule(name));
    const queue: string[] = [];
    for (const m of out.values()) for (const v of m.names.values()) queue.push(...(v.cls?.bases ?? []));
    const changed = new Set<ResolvedModule>();
    for (let base = queue.pop(); base !== undefined; base = queue.pop()) {
      const dot = base.lastIndexOf(".");
      const name = base.slice(dot + 1);
      const m = out.get(base.slice(0, dot));
      if (!m || !name.startsWith("_") || m.names.has(name)) continue;
      const binding = this.effective(base.slice(0, dot)).bindings.get(name);
      if (binding?.k !== "class") continue;
      const v = this.variant(base.slice(0, dot), name, binding);
      m.names.set(name, v);
      changed.add(m);
      queue.push(...(v.cls?.bases ?? []));
    }
    for (const m of changed) m.names = new Map([...m.names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return out;
  }

  /** Module bindings with star imports expanded (names bound explicitly win over starred ones). */
  private effective(module: string): Effective {
    const memo = this.effectiveMemo.get(module);
    if (memo) return memo;
    const entry = this.modules.get(module);
    const bindings = new Map<string, RawBinding>(Object.entries(entry?.raw.bindings ?? {}));
    let open = entry?.raw.open ?? false;
    if (!entry || this.inProgress.has(module)) return { bindings, open };
    this.inProgress.add(module);
    for (const star of entry.raw.stars) {
      const target = this.modules.get(star.module);
      if (!target) {
        // A star import of a module the KB does not hold binds names nobody can list.
        if (!this.covered(star.module)) open = true;
        continue;
      }
      const eff = this.effective(star.module);
      if (eff.open) open = true;
      const names = target.raw.all ?? [...eff.bindings.keys()].filter((n) => !n.startsWith("_"));
      for (const n of names) {
        if (bindings.has(n)) continue;
        const b: RawBinding = { k: "import", origin: { m: star.module, n } };
        if (star.guarded) b.guarded = true;
        bindings.set(n, b);
      }
    }
    this.inProgress.delete(module);
    const out = { bindings, open };
    this.effectiveMemo.set(module, out);
    return out;
  }

  /** The definition that holds in this version among a name's alternatives: the first whose import exists. */
  private choose(module: string, name: string, binding: RawBinding, depth: number): RawBinding {
    if (!binding.alt) return binding;
    const key = `${module}\0${name}`;
    const memo = this.chosenMemo.get(key);
    if (memo) return memo;
    let chosen = binding;
    for (const candidate of [binding, ...binding.alt]) {
      if (candidate.k !== "import" && candidate.k !== "module") {
        chosen = candidate;
        break;
      }
      const found = this.lookupOrigin(candidate.origin, depth + 1, candidate.k === "module");
      if (found.status !== "missing") {
        chosen = candidate;
        break;
      }
    }
    this.chosenMemo.set(key, chosen);
    return chosen;
  }

  /** What `module.name` is in this version, followed to its definition. */
  lookup(module: string, name: string, depth = 0): Lookup {
    if (depth > MAX_DEPTH) return UNKNOWN;
    const key = `${module}\0${name}`;
    const memo = this.lookupMemo.get(key);
    if (memo) return memo;
    // Cycles resolve to unknown.
    this.lookupMemo.set(key, UNKNOWN);
    const result = this.lookupUncached(module, name, depth);
    this.lookupMemo.set(key, result);
    return result;
  }

  private lookupUncached(module: string, name: string, depth: number): Lookup {
    if (!this.modules.has(module)) return this.covered(module) ? MISSING : UNKNOWN;
    const eff = this.effective(module);
    const binding = eff.bindings.get(name);
    if (!binding) {
      // `from package import submodule` imports the submodule.
      if (this.modules.has(`${module}.${name}`)) return { status: "found", qualified: `${module}.${name}`, k: "module" };
      return eff.open ? UNKNOWN : MISSING;
    }
    const chosen = this.choose(module, name, binding, depth);
    if (chosen.k === "import") {
      const target = this.lookupOrigin(chosen.origin, depth + 1, false);
      return target.status === "found" ? target : UNKNOWN;
    }
    if (chosen.k === "module") return { status: "found", qualified: originPath(chosen.origin), k: "module" };
    return { status: "found", qualified: `${module}.${name}`, k: chosen.k };
  }

  private lookupOrigin(origin: RawOrigin | undefined, depth: number, isModule: boolean): Lookup {
    if (!origin) return UNKNOWN;
    if (isModule) {
      const path = originPath(origin);
      if (this.modules.has(path)) return { status: "found", qualified: path, k: "module" };
      return this.covered(path) ? MISSING : UNKNOWN;
    }
    if ("m" in origin) {
      if (origin.n === "") return this.lookupOrigin(origin, depth, true);
      const found = this.lookup(origin.m, origin.n, depth);
      // `from package import sub` where the package binds `sub` by importing it from itself (a cycle).
      const sub = `${origin.m}.${origin.n}`;
      if (found.status === "unknown" && this.modules.has(sub)) return { status: "found", qualified: sub, k: "module" };
      return found;
    }
    return this.lookupPath(origin.path, depth);
  }

  /** A dotted path split at its longest module prefix; only `module.name` can be followed. */
  private lookupPath(path: string, depth: number): Lookup {
    if (this.modules.has(path)) return { status: "found", qualified: path, k: "module" };
    const parts = path.split(".");
    for (let i = parts.length - 1; i > 0; i--) {
      const module = parts.slice(0, i).join(".");
      if (!this.modules.has(module)) continue;
      const rest = parts.slice(i);
      if (rest.length === 1) return this.lookup(module, rest[0] as string, depth);
      // `module.Class.attr`, or `module.sub.Name` where `sub` is a submodule the KB holds under another name.
      const first = this.lookup(module, rest[0] as string, depth);
      if (first.status === "found" && first.k === "module") return this.lookupPath([first.qualified, ...rest.slice(1)].join("."), depth + 1);
      return first.status === "missing" ? MISSING : UNKNOWN;
    }
    return this.covered(path) ? MISSING : UNKNOWN;
  }

  private variant(module: string, name: string, binding: RawBinding): Omit<KbNameVariant, "v"> {
    const chosen = this.choose(module, name, binding, 0);
    let out: Omit<KbNameVariant, "v">;
    switch (chosen.k) {
      case "class":
        out = { k: "class", cls: this.resolveClass(module, chosen.cls as RawClass) };
        break;
      case "function":
        out = { k: "function", sig: chosen.sig ?? [] };
        break;
      case "variable":
        out = { k: "variable" };
        break;
      case "module":
        out = { k: "module", from: originPath(chosen.origin) };
        break;
      default: {
        const target = this.lookupOrigin(chosen.origin, 1, false);
        if (chosen.asGiven) out = { k: target.status === "found" ? target.k : "import", from: originPath(chosen.origin) };
        else if (target.status === "found") out = { k: target.k, from: target.qualified };
        else out = { k: "import", from: originPath(chosen.origin) };
      }
    }
    if (chosen.deprecated !== undefined) out.deprecated = chosen.deprecated;
    if (binding.guarded) out.guarded = true;
    return out;
  }

  private resolveClass(module: string, raw: RawClass): KbClass {
    const bases = raw.bases.map((b) => this.resolveBase(module, b));
    const out: KbClass = raw.init ? { bases, init: raw.init, methods: raw.methods, attrs: raw.attrs } : { bases, methods: raw.methods, attrs: raw.attrs };
    if (raw.open) out.open = true;
    if (raw.decorators) out.decorators = raw.decorators;
    return out;
  }

  /** A base as written (`BaseHook`, `hooks.base.BaseHook`) → its definition's qualified name when the module's bindings lead there. */
  private resolveBase(module: string, base: string): string {
    const [head, ...rest] = base.split(".");
    if (!head) return base;
    const binding = this.effective(module).bindings.get(head);
    if (!binding) return base;
    const chosen = this.choose(module, head, binding, 0);
    let path: string;
    if (chosen.k === "import") {
      const target = this.lookupOrigin(chosen.origin, 1, false);
      path = target.status === "found" ? target.qualified : originPath(chosen.origin);
    } else if (chosen.k === "module") path = originPath(chosen.origin);
    else path = `${module}.${head}`;
    if (rest.length === 0) return path;
    const full = [path, ...rest].join(".");
    const found = this.lookupPath(full, 1);
    return found.status === "found" ? found.qualified : full;
  }
}

export function originPath(origin: RawOrigin | undefined): string {
  if (!origin) return "";
  if ("m" in origin) return origin.n ? `${origin.m}.${origin.n}` : origin.m;
  return origin.path;
}
