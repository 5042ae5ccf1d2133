import { stringify } from "yaml";
import type { AirflowTarget, ComponentSpec } from "../../spec/types.js";
import { generatedFileNames } from "../naming.js";
import { pyLiteral } from "../scaffold/python.js";
import { EDIT_FORMAT_TEXT, asksForEdits } from "../edits.js";
import type { GeneratedFile, LearnedContextItem, RetryContext } from "../types.js";

export const DEFAULT_LEARNED_TOKEN_BUDGET = 4000;

/** The estimate every budget in opforge uses: about four characters per token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function fence(text: string, lang = ""): string {
  // A fence longer than any backtick run inside keeps the block closed where it should be.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text.replace(/\n$/, "")}\n${ticks}`;
}

function yamlBlock(value: unknown): string {
  return fence(stringify(value, { lineWidth: 0 }).trimEnd(), "yaml");
}

// Defaults are shown as the Python literals the constructor will carry (None, True, {...}).
function formatDefault(value: unknown): string {
  return pyLiteral(value);
}

export function renderSpec(spec: ComponentSpec, target: AirflowTarget, componentModule: string): string {
  const names = generatedFileNames(spec);
  const out: string[] = [];
  out.push(`# Component spec: ${spec.name}`);
  out.push(`- class name: \`${spec.name}\``);
  if (spec.display_name) out.push(`- display name: ${spec.display_name}`);
  out.push(`- component type: ${spec.component_type} (base class \`${spec.base_class}\`)`);
  out.push(`- target Airflow: ${target === "both" ? "2.x and 3.x" : `${target}.x`}`);
  out.push(`- category: ${spec.category}`);
  if (spec.platforms.length > 0) out.push(`- platforms: ${spec.platforms.join(", ")}`);
  out.push(`- files: \`${names.component}\` (module \`${componentModule}\`), \`${names.test}\`, \`${names.dag}\``);
  out.push("", "## Description", spec.description.trim());

  out.push("", "## Constructor arguments");
  if (spec.params.length === 0) out.push("None besides the base class arguments.");
  for (const p of spec.params) {
    const facts = [`\`${p.type}\``, p.required ? "required" : "optional"];
    if (p.default !== undefined) facts.push(`default ${formatDefault(p.default)}`);
    if (spec.template_fields.includes(p.name)) facts.push("templated");
    const extra = p.extra && Object.keys(p.extra).length > 0 ? ` (also: ${JSON.stringify(p.extra)})` : "";
    out.push(`- \`${p.name}\` (${facts.join(", ")})${p.description ? `: ${p.description.trim()}` : ""}${extra}`);
  }
  out.push("", `## template_fields: ${spec.template_fields.length > 0 ? spec.template_fields.map((f) => `\`${f}\``).join(", ") : "none"}`);
  if (spec.template_ext.length > 0) out.push(`template_ext: ${spec.template_ext.map((e) => `\`${e}\``).join(", ")}`);
  if (spec.ui_color || spec.ui_fgcolor) out.push(`ui_color: ${spec.ui_color ?? "-"}, ui_fgcolor: ${spec.ui_fgcolor ?? "-"}`);

  if (spec.component_type === "sensor" && Object.keys(spec.sensor).length > 0) {
    out.push("", "## Sensor settings (defaults passed to BaseSensorOperator)", yamlBlock(spec.sensor));
  }
  if (spec.component_type === "hook" && Object.keys(spec.hook).length > 0) {
    out.push("", "## Hook settings", yamlBlock(spec.hook));
  }
  if (spec.runtime_params.length > 0) {
    out.push("", "## Runtime params (DAG `params` the component reads at run time)", yamlBlock(spec.runtime_params));
  }
  if (spec.outputs.length > 0) {
    out.push("", "## Outputs (returned / pushed to XCom)");
    for (const o of spec.outputs) {
      out.push(`- \`${o.name}\` (\`${o.type}\`)${o.method ? ` via ${o.method}` : ""}${o.description ? `: ${o.description.trim()}` : ""}`);
    }
  }
  if (spec.requirements.length > 0) out.push("", "## Requirements", ...spec.requirements.map((r) => `- ${r}`));
  if (spec.implementation_hints.length > 0) {
    out.push("", "## Implementation hints", ...spec.implementation_hints.map((h) => `- ${h}`));
  }
  if (spec.dependencies.length > 0) {
    out.push("", "## Python dependencies (PEP 508)", ...spec.dependencies.map((d) => `- \`${d}\``));
  }
  if (spec.prerequisites !== undefined && spec.prerequisites !== null) {
    out.push("", "## Prerequisites (services, connections, environment)", yamlBlock(spec.prerequisites));
  }
  if (spec.examples.length > 0) {
    out.push("", "## Usage examples from the spec");
    for (const ex of spec.examples) {
      if (ex.description) out.push(ex.description.trim());
      if (ex.code) out.push(fence(ex.code, "python"));
    }
  }
  const meta = [
    spec.documentation_url ? `documentation: ${spec.documentation_url}` : "",
    spec.license ? `license: ${spec.license}` : "",
    spec.author ? `author: ${spec.author}` : "",
    spec.version ? `version: ${spec.version}` : "",
  ].filter((s) => s !== "");
  if (meta.length > 0) out.push("", "## About", ...meta.map((m) => `- ${m}`));
  return out.join("\n");
}

export interface LearnedSection {
  text: string;
  used: LearnedContextItem[];
  dropped: LearnedContextItem[];
}

function renderLearnedItem(item: LearnedContextItem): string {
  const ref = item.ref ? ` [${item.ref}]` : "";
  return `### ${item.kind}: ${item.title}${ref}\nWhy it is here: ${item.reason}\n${item.body.trim()}`;
}

/**
 * What the stores learned, in the order given (callers rank), within `budget` tokens. An item that does
 * not fit is dropped and the next ones are still tried, so one large item does not shut out small ones.
 */
export function renderLearned(items: LearnedContextItem[], budget: number): LearnedSection {
  const intro =
    "# Learned context\nWhat earlier generations in this project taught. Follow it where it applies to this spec.";
  const used: LearnedContextItem[] = [];
  const dropped: LearnedContextItem[] = [];
  const parts: string[] = [];
  let spent = estimateTokens(intro);
  for (const item of items) {
    const text = renderLearnedItem(item);
    const cost = estimateTokens(text) + 1;
    if (spent + cost <= budget) {
      used.push(item);
      parts.push(text);
      spent += cost;
    } else {
      dropped.push(item);
    }
  }
  return { text: used.length === 0 ? "" : [intro, ...parts].join("\n\n"), used, dropped };
}

function roleLabel(file: GeneratedFile): string {
  return file.role;
}

export function renderRetry(retry: RetryContext): string {
  const out: string[] = [`# Retry: attempt ${retry.attempt}`];
  const edits = asksForEdits(retry);
  if (edits) {
    out.push(
      "Strategy: patch. The current files are below. Change only what the failures require and keep everything else as it is; reply with targeted edits (format below).",
    );
  } else if (retry.strategy === "patch") {
    out.push(
      "Strategy: patch. The previous files are below. Change only what the failures require and keep everything else as it is; reply with all three files in full.",
    );
  } else {
    out.push(
      "Strategy: regenerate. Write the files fresh from the spec; the previous attempt is shown only so you avoid its failures.",
    );
  }
  out.push("", "## Failures of the previous attempt");
  if (retry.failures.length === 0) out.push("- (none recorded)");
  for (const f of retry.failures) out.push(`- ${f.trim().replace(/\n/g, "\n  ")}`);
  if (retry.guidance && retry.guidance.trim() !== "") {
    out.push("", "## Guidance from a maintainer (follow it)", retry.guidance.trim());
  }
  if (retry.previousFiles.length > 0) {
    out.push("", edits ? "## Current files" : "## Previous files");
    for (const file of retry.previousFiles) {
      out.push(`${file.path}:`, fence(file.content, `python file=${roleLabel(file)}`));
    }
  }
  if (edits) out.push("", EDIT_FORMAT_TEXT);
  return out.join("\n");
}
