/**
 * Bounds on what a spec may be. A spec comes from an issue body anyone can write, so every cost the
 * parser pays must be bounded before it is paid.
 */

/** A spec text (file or issue body) longer than this many UTF-8 bytes is refused before parsing. */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** At most this many constructor parameters (`inputs` plus `config_params`). */
export const MAX_PARAMS = 500;

/** At most this many entries in any other list (dependencies, runtime_params, outputs, ...). */
export const MAX_LIST_ENTRIES = 1000;

/** At most this many "not a documented key" warnings for the top level; the rest are counted in one. */
export const MAX_KEY_WARNINGS = 50;

/** YAML aliases (`*anchor`) the parser may expand; guards against "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 100;

/** Deepest nesting of mappings and lists a spec may use (a real spec needs about 5). */
export const MAX_NESTING_DEPTH = 32;

/**
 * Longest run of indentation and block indicators (`- `, `? `) that may open a line. The YAML parser
 * recurses once per level, so `- - - - ...` a million levels deep would exhaust memory; this cheap
 * line scan refuses such text before the parser sees it.
 */
export const MAX_LINE_PREFIX = 256;
