/** The component spec: parsing spec files and issue bodies into the normalized `ComponentSpec`. */
export type {
  AirflowTarget,
  ComponentSpec,
  ComponentType,
  HookSettings,
  RuntimeParam,
  SensorSettings,
  SpecExample,
  SpecFinding,
  SpecOutput,
  SpecParam,
  SpecParseResult,
} from "./types.js";
export { parseSpecFile, parseSpecText, specFromIssueBody, type ParseOptions } from "./parse.js";
export { formatFindings } from "./findings.js";
export { specFingerprint } from "./fingerprint.js";
export { toSnakeCase, toPascalCase } from "./names.js";
export { componentSpecSchema } from "./schema.js";
export { parseRequirement, type Requirement } from "./pep508.js";
export { MAX_ALIAS_COUNT, MAX_LIST_ENTRIES, MAX_NESTING_DEPTH, MAX_PARAMS, MAX_SPEC_BYTES } from "./limits.js";
