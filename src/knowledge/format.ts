/**
 * The on-disk format of the Airflow knowledge base (KB): Airflow's public API surface per version, extracted
 * from Airflow's source by `npm run kb:build` and committed under `src/knowledge/data/`.
 *
 * Layout:
 *   data/index.json          KbIndex: the versions (with their git refs and commits), every shard and the
 *                            modules it holds, and the package prefixes the KB covers completely.
 *   data/index.sha256        SHA-256 of index.json as the builder wrote it (after checking it), so that a
 *                            reader need not check it again.
 *   data/<shard>.json.gz     KbShard: the modules of one shard ("core" = the airflow package, "core.<sub>" =
 *                            airflow.<sub>.* outside providers and the SDK, "sdk" = airflow.sdk, or one
 *                            provider such as "amazon", "common.sql").
 *   data/constraints.json.gz KbConstraints: library pins of each version's constraints file.
 *   data/NOTICE.md           where the facts come from (Apache-2.0, the refs).
 *
 * Versions are bits of a mask: bit i is `KbIndex.versions[i]`. One module entry covers every version; each
 * fact carries the mask of the versions in which it holds. Facts that differ between versions are stored as
 * several variants, each with its own mask.
 *
 * A parameter is one string: the parameter as written, whitespace collapsed, default text cut at 60 characters:
 * `name`, `name: str`, `name: str = "x"`, `*args`, `**kwargs: Any`, `*` (keyword-only marker), `/`.
 * Methods keep `self`/`cls` as their first parameter; a leading `@staticmethod`, `@classmethod` or `@property`
 * entry marks decorated methods, and `@wrapped` any other decorator (one that may fill or add arguments, such as
 * Google's `fallback_to_default_project_id`).
 */
// zod's functional build: the validator loads this module on every run, and the full build is most of a
// short run's start-up (about 750 KB of JavaScript to compile, against about 30 KB for this one).
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// The functional build leaves messages to a locale (the full build loads English itself).
z.config(en());

export const KB_FORMAT_VERSION = 1;

const mask = z.number().check(z.int(), z.nonnegative());

/** One signature: parameters as written (see the file comment). */
export const kbSignatureSchema = z.array(z.string());
export type KbSignature = z.infer<typeof kbSignatureSchema>;

export const kbClassSchema = z.object({
  /** Base classes as fully qualified names where the module's imports resolve them (`airflow.hooks.base.BaseHook`), else as written. */
  bases: z.array(z.string()),
  /** `__init__` as defined in this class; absent when inherited. */
  init: z.optional(kbSignatureSchema),
  /** Public methods defined in this class (names not starting with `_`, plus `__init__` is kept in `init`). */
  methods: z.record(z.string(), kbSignatureSchema),
  /**
   * Other public members defined in this class: class-level assignments and annotations, and `self.x`
   * assigned in any method. Values: the literal text for the attributes opforge reads
   * (`template_fields`, `template_ext`, `conn_name_attr`, `default_conn_name`, `conn_type`, `hook_name`,
   * `ui_color`), cut at 200 characters; otherwise "".
   */
  attrs: z.record(z.string(), z.string()),
  /** The class defines `__getattr__`/`__getattribute__`: its members cannot be decided. */
  open: z.optional(z.boolean()),
  /**
   * Class decorators (last dotted segment) other than ones that leave `__init__` alone: `dataclass`, `define`
   * and the like write an `__init__` the source does not show.
   */
  decorators: z.optional(z.array(z.string())),
});
export type KbClass = z.infer<typeof kbClassSchema>;

export const kbNameVariantSchema = z.object({
  /** Versions in which this variant holds. */
  v: mask,
  /** class, function, variable (assignment or annotation), module (a submodule bound by import), or an import of something the KB cannot follow. */
  k: z.enum(["class", "function", "variable", "module", "import"]),
  /** Where a re-exported name is defined (`airflow.models.baseoperator.BaseOperator`); absent when defined here. */
  from: z.optional(z.string()),
  /** For classes defined here. */
  cls: z.optional(kbClassSchema),
  /** For functions defined here. */
  sig: z.optional(kbSignatureSchema),
  /** Deprecated in these versions: what the code says to use instead, or the warning text (cut at 200 characters). */
  deprecated: z.optional(z.string()),
  /** The name is bound only under `try/except ImportError` or `if TYPE_CHECKING`/conditions: it may be absent at run time. */
  guarded: z.optional(z.boolean()),
});
export type KbNameVariant = z.infer<typeof kbNameVariantSchema>;

export const kbModuleSchema = z.object({
  /** Versions in which the module exists (a file, a package, or a deprecated alias module that Airflow installs). */
  v: mask,
  /** Versions in which its names cannot be decided: module `__getattr__`, a star import the KB cannot follow, `globals()` writes. */
  open: z.optional(mask),
  /**
   * A module that exists only as a deprecated alias (Airflow's `add_deprecated_classes` shims) or is deprecated
   * as a whole: versions and the module to use instead.
   */
  movedTo: z.optional(z.array(z.object({ v: mask, to: z.string() }))),
  /** `__all__` when the module declares one, per version variant. */
  all: z.optional(z.array(z.object({ v: mask, names: z.array(z.string()) }))),
  /** Public names (not starting with `_`), each with its variants. */
  names: z.record(z.string(), z.array(kbNameVariantSchema)),
});
export type KbModule = z.infer<typeof kbModuleSchema>;

export const kbShardSchema = z.object({
  format: z.literal(KB_FORMAT_VERSION),
  shard: z.string(),
  modules: z.record(z.string(), kbModuleSchema),
});
export type KbShard = z.infer<typeof kbShardSchema>;

export const kbVersionSchema = z.object({
  /** "2.9", "2.10", "2.11", "3.0". */
  id: z.string(),
  /** The Airflow major this version belongs to. */
  major: z.enum(["2", "3"]),
  /** The git ref the facts were read from (`2.9.3`, `main`), and its commit. */
  ref: z.string(),
  commit: z.string(),
  /** The Airflow release the ref stands for (`2.9.3`, `3.0.0.dev0`). */
  release: z.string(),
});
export type KbVersion = z.infer<typeof kbVersionSchema>;

export const kbIndexSchema = z.object({
  format: z.literal(KB_FORMAT_VERSION),
  versions: z.array(kbVersionSchema),
  /** shard name → the modules it holds. */
  shards: z.record(z.string(), z.array(z.string())),
  /**
   * Package prefixes whose modules the KB lists completely (`airflow`, `airflow.providers.amazon`): a module
   * under one of them that no shard lists does not exist. Modules outside every prefix are undecidable.
   */
  complete: z.array(z.string()),
  /**
   * shard name → SHA-256 (hex) of its `.json.gz` file. The builder checks every shard against kbShardSchema
   * before writing it, so a shard whose bytes match its digest needs no check when read; a shard without a
   * digest (a KB written before digests existed) is checked module by module as it is read.
   */
  digests: z.optional(z.record(z.string(), z.string().check(z.regex(/^[0-9a-f]{64}$/)))),
});
export type KbIndex = z.infer<typeof kbIndexSchema>;

export const kbConstraintsSchema = z.object({
  format: z.literal(KB_FORMAT_VERSION),
  /** One entry per Airflow version: the constraints file read, and PEP 503 name → pinned version. */
  versions: z.array(
    z.object({
      airflow: z.string(),
      major: z.enum(["2", "3"]),
      ref: z.string(),
      commit: z.string(),
      file: z.string(),
      /** When the file says it was generated (`2024-11-05T18:34:31`, from its header comment). */
      generated: z.optional(z.string()),
      pins: z.record(z.string(), z.string()),
    }),
  ),
});
export type KbConstraints = z.infer<typeof kbConstraintsSchema>;
