import type { SpecFinding } from "./types.js";
import { DOCUMENTED_KEYS } from "./schema.js";
import type { SpecPath } from "./path.js";
import { loadYaml, type SourceMap } from "./yaml-source.js";

/**
 * Finding a spec inside a GitHub issue body. Three shapes are read, in this order:
 *
 * 1. An issue form (see examples/issue-form/generate-operator.yml): `### Label` headings, each followed by
 *    its value; `_No response_` means empty. The headings "Name" and "Component type" mark a form.
 *    Labels map to spec keys ("Component type" → component_type, "Config params" → config_params, ...;
 *    a label may also be the key itself, e.g. "### conn_type"). Inputs, Config params, Runtime params,
 *    Outputs, Examples and Prerequisites hold YAML (a code block, as `render: yaml` produces);
 *    Dependencies, Requirements and Implementation hints hold one entry per line; Platforms, Template
 *    fields and Template extensions one per line or comma-separated; "Other spec keys" holds a YAML
 *    mapping of any further keys.
 * 2. The first fenced code block tagged yaml or yml (```yaml ... ```).
 * 3. The whole body as YAML, when it parses to a mapping with a `name`.
 */

export type ExtractedSpec =
  | { kind: "spec"; via: "issue-form" | "fenced-block" | "bare-yaml"; value: unknown; source: SourceMap; warnings: SpecFinding[] }
  | { kind: "broken"; via: "issue-form" | "fenced-block"; errors: SpecFinding[]; warnings: SpecFinding[] }
  | { kind: "none" };

type ValueKind = "text" | "lines" | "list" | "yaml" | "merge";

const YAML_KEYS = new Set(["inputs", "config_params", "runtime_params", "outputs", "examples", "prerequisites"]);
const LINE_KEYS = new Set(["requirements", "dependencies", "implementation_hints"]);
const LIST_KEYS = new Set(["platforms", "template_fields", "template_ext"]);

/** Issue-form labels (normalized: lower case, words separated by one space) and the spec key each fills. */
const LABELS: Record<string, string> = {
  name: "name",
  "component name": "name",
  "class name": "name",
  "operator name": "name",
  "display name": "display_name",
  description: "description",
  category: "category",
  "component type": "component_type",
  type: "component_type",
  "airflow version": "airflow_version",
  "target airflow version": "airflow_version",
  "base class": "base_class",
  platforms: "platforms",
  icon: "icon",
  "ui color": "ui_color",
  "ui colour": "ui_color",
  "ui foreground color": "ui_fgcolor",
  "ui foreground colour": "ui_fgcolor",
  "ui text color": "ui_fgcolor",
  inputs: "inputs",
  "config params": "config_params",
  "config parameters": "config_params",
  "configuration parameters": "config_params",
  "runtime params": "runtime_params",
  "runtime parameters": "runtime_params",
  outputs: "outputs",
  requirements: "requirements",
  dependencies: "dependencies",
  "python dependencies": "dependencies",
  "template fields": "template_fields",
  "templated fields": "template_fields",
  "template extensions": "template_ext",
  "poke interval": "poke_interval",
  timeout: "timeout",
  mode: "mode",
  "sensor mode": "mode",
  "connection name attribute": "conn_name_attr",
  "connection type": "conn_type",
  "hook name": "hook_name",
  "default connection name": "default_conn_name",
  "default connection id": "default_conn_name",
  "implementation hints": "implementation_hints",
  prerequisites: "prerequisites",
  examples: "examples",
  "documentation url": "documentation_url",
  license: "license",
  author: "author",
  version: "version",
  "other spec keys": "*",
  "additional spec keys": "*",
};

const NO_RESPONSE = "_No response_";

/** Lower case, parenthesised notes and punctuation dropped: "Inputs (YAML list)" → "inputs". */
function normalizeLabel(label: string): string {
  return label
    .replace(/\([^)]*\)/g, " ")
    .replace(/[^A-Za-z0-9_]+/g, " ")
    .trim()
    .toLowerCase();
}

export function keyForLabel(label: string): string | undefined {
  const normalized = normalizeLabel(label);
  const mapped = LABELS[normalized];
  if (mapped) return mapped;
  const asKey = normalized.replace(/ /g, "_");
  return DOCUMENTED_KEYS.has(asKey) ? asKey : undefined;
}

function kindForKey(key: string): ValueKind {
  if (key === "*") return "merge";
  if (YAML_KEYS.has(key)) return "yaml";
  if (LINE_KEYS.has(key)) return "lines";
  if (LIST_KEYS.has(key)) return "list";
  return "text";
}

interface Section {
  label: string;
  /** 1-based line of the `###` heading. */
  headingLine: number;
  /** Lines of the value, and the 1-based line of the first of them. */
  lines: string[];
  firstLine: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;

function isClosingFence(line: string, fence: string): boolean {
  const match = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
  return match !== null && match[1]![0] === fence[0] && match[1]!.length >= fence.length;
}

/** Splits a body into `### ` sections; headings inside code fences are content, not headings. */
function splitSections(lines: string[]): Section[] {
  const sections: Section[] = [];
  let fence: string | undefined;
  lines.forEach((line, index) => {
    if (fence) {
      if (isClosingFence(line, fence)) fence = undefined;
    } else {
      const open = FENCE_OPEN.exec(line);
      if (open) {
        fence = open[1];
      } else {
        const heading = /^###\s+(.+?)\s*#*\s*$/.exec(line);
        if (heading) {
          sections.push({ label: heading[1]!, headingLine: index + 1, lines: [], firstLine: index + 2 });
          return;
        }
      }
    }
    sections.at(-1)?.lines.push(line);
  });
  return sections;
}

/** The value of a section without surrounding blank lines or a wrapping code fence. */
function sectionValue(section: Section): { text: string; firstLine: number } {
  let start = 0;
  let end = section.lines.length;
  while (start < end && section.lines[start]!.trim() === "") start++;
  while (end > start && section.lines[end - 1]!.trim() === "") end--;
  let lines = section.lines.slice(start, end);
  let firstLine = section.firstLine + start;
  const open = lines[0] === undefined ? null : FENCE_OPEN.exec(lines[0]);
  if (open && lines.length >= 2 && isClosingFence(lines.at(-1)!, open[1]!)) {
    lines = lines.slice(1, -1);
    firstLine += 1;
  }
  const text = lines.join("\n");
  return { text: text.trim() === NO_RESPONSE ? "" : text, firstLine };
}

function splitEntries(text: string, firstLine: number, commas: boolean): Array<{ value: string; line: number }> {
  const entries: Array<{ value: string; line: number }> = [];
  text.split("\n").forEach((line, index) => {
    const cleaned = line.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, "").trim();
    if (cleaned === "" || cleaned.startsWith("#")) return;
    for (const part of commas ? cleaned.split(",") : [cleaned]) {
      const value = part.trim();
      if (value !== "") entries.push({ value, line: firstLine + index });
    }
  });
  return entries;
}

function readIssueForm(sections: Section[]): ExtractedSpec {
  const value: Record<string, unknown> = {};
  const lineLookups = new Map<string, (rest: SpecPath) => number | undefined>();
  const errors: SpecFinding[] = [];
  const warnings: SpecFinding[] = [];

  for (const section of sections) {
    const key = keyForLabel(section.label);
    if (!key) {
      warnings.push({ path: "", severity: "warning", line: section.headingLine, message: `issue form section "${section.label}" is not a spec field; ignored` });
      continue;
    }
    const { text, firstLine } = sectionValue(section);
    if (text.trim() === "") continue;
    if (key !== "*" && key in value) {
      warnings.push({ path: key, severity: "warning", line: section.headingLine, message: `section "${section.label}" repeats ${key}; the first one is used` });
      continue;
    }
    const kind = kindForKey(key);
    if (kind === "text") {
      value[key] = text.trim();
      lineLookups.set(key, () => firstLine);
    } else if (kind === "lines" || kind === "list") {
      const entries = splitEntries(text, firstLine, kind === "list");
      value[key] = entries.map((entry) => entry.value);
      lineLookups.set(key, (rest) => (typeof rest[0] === "number" ? entries[rest[0]]?.line : undefined) ?? firstLine);
    } else {
      const loaded = loadYaml(text, firstLine - 1);
      if (!loaded.ok) {
        errors.push(...loaded.errors.map((finding) => ({ ...finding, path: key === "*" ? finding.path : key, message: `section "${section.label}": ${finding.message}` })));
        continue;
      }
      if (kind === "merge") {
        if (loaded.value === null || typeof loaded.value !== "object" || Array.isArray(loaded.value)) {
          errors.push({ path: "", severity: "error", line: firstLine, message: `section "${section.label}" must hold a YAML mapping of spec keys` });
          continue;
        }
        for (const [extraKey, extraValue] of Object.entries(loaded.value)) {
          if (extraKey in value) {
            warnings.push({ path: extraKey, severity: "warning", line: loaded.source.lineOf([extraKey]), message: `${extraKey} is already given by its own section; the value in "${section.label}" is ignored` });
            continue;
          }
          value[extraKey] = extraValue;
          lineLookups.set(extraKey, (rest) => loaded.source.lineOf([extraKey, ...rest]));
        }
      } else {
        value[key] = loaded.value;
        lineLookups.set(key, (rest) => loaded.source.lineOf(rest));
      }
    }
  }

  if (errors.length > 0) return { kind: "broken", via: "issue-form", errors, warnings };
  const source: SourceMap = {
    lineOf(path) {
      const [first, ...rest] = path;
      if (typeof first !== "string") return undefined;
      return lineLookups.get(first)?.(rest);
    },
    scalarSource: () => undefined,
  };
  return { kind: "spec", via: "issue-form", value, source, warnings };
}

/** The first ```yaml / ```yml block: its text and the 0-based index of the line before its first line. */
export function findFencedYaml(lines: string[]): { text: string; lineOffset: number } | undefined {
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE_OPEN.exec(lines[index]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = index + 1;
    while (end < lines.length && !isClosingFence(lines[end]!, fence)) end++;
    if (/^(ya?ml)$/i.test(open[2] ?? "")) {
      return { text: lines.slice(index + 1, end).join("\n"), lineOffset: index + 1 };
    }
    index = end;
  }
  return undefined;
}

/** Finds the spec in an issue body; see the comment at the top of this file for the accepted shapes. */
export function extractSpecFromBody(body: string): ExtractedSpec {
  const lines = body.split("\n");
  const sections = splitSections(lines);
  const formKeys = new Set(sections.map((section) => keyForLabel(section.label)));
  const isForm = formKeys.has("name") && formKeys.has("component_type");
  if (isForm) return readIssueForm(sections);

  const fenced = findFencedYaml(lines);
  if (fenced) {
    const loaded = loadYaml(fenced.text, fenced.lineOffset);
    if (!loaded.ok) return { kind: "broken", via: "fenced-block", errors: loaded.errors, warnings: [] };
    return { kind: "spec", via: "fenced-block", value: loaded.value, source: loaded.source, warnings: [] };
  }
  if (formKeys.has("name")) return readIssueForm(sections);

  const bare = loadYaml(body);
  if (bare.ok && bare.value !== null && typeof bare.value === "object" && !Array.isArray(bare.value) && "name" in bare.value) {
    return { kind: "spec", via: "bare-yaml", value: bare.value, source: bare.source, warnings: [] };
  }
  return { kind: "none" };
}

export const HOW_TO_WRITE_A_SPEC =
  "no component spec found in the issue body; put the spec in a fenced code block that starts with a line ```yaml and ends with a line ```, " +
  "holding at least name, description and component_type (operator, sensor or hook), or open the issue with the \"Generate an Airflow component\" issue form";
