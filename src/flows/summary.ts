import { describeReasons, type ApiFact } from "../knowledge/ground.js";
import type { FileCheck } from "../pipeline/local-check.js";
import type { PrSummary, RenderedApiFact, RenderedFinding, RenderedFix } from "../pipeline/render.js";
import type { ComponentSpec } from "../spec/types.js";
import type { Attempt } from "../store/generations.js";
import type { CheckAnnotation } from "../github/checks.js";

export function findingsOf(checks: FileCheck[]): RenderedFinding[] {
  return checks.flatMap((c) =>
    c.report.findings.map((f) => ({ path: c.path, rule: f.rule, severity: f.severity, line: f.line, message: f.message })),
  );
}

export function fixesOf(checks: FileCheck[]): RenderedFix[] {
  return checks.flatMap((c) => c.applied.map((a) => ({ path: c.path, rule: a.rule, description: a.description })));
}

export function annotationsOf(checks: FileCheck[]): CheckAnnotation[] {
  return findingsOf(checks).map((f) => ({
    path: f.path,
    start_line: Math.max(1, f.line),
    end_line: Math.max(1, f.line),
    annotation_level: f.severity === "error" ? "failure" : "warning",
    title: f.rule,
    message: f.message,
  }));
}

/** What the PR says about each Airflow API fact the prompt carried. */
export function apiFactsOf(facts: ApiFact[]): RenderedApiFact[] {
  return facts.map((f) => ({
    name: f.name,
    role: f.role,
    reasons: describeReasons(f.reasons),
    imports: f.importStatements,
    params: f.init?.params ?? [],
    ...(f.connection === undefined
      ? {}
      : {
          connection: {
            param: f.connection.param,
            ...(f.connection.default === undefined ? {} : { default: f.connection.default }),
            ...(f.connection.type === undefined ? {} : { type: f.connection.type }),
          },
        }),
    methods: f.methods.map((m) => m.name),
    source: { version: f.source.version, ref: f.source.ref, commit: f.source.commit },
  }));
}

interface SummaryInput {
  spec: ComponentSpec;
  issueNumber: number;
  files: { path: string; role: string }[];
  checks: FileCheck[];
  learnedUsed: { kind: string; title: string; reason: string }[];
  apiFacts?: RenderedApiFact[];
  provider: string;
  model: string;
  scaffold: boolean;
  attempts: Attempt[];
}

export function buildPrSummary(input: SummaryInput): PrSummary {
  const usage = input.attempts.reduce(
    (sum, a) => ({
      input: sum.input + a.usage.inputTokens,
      output: sum.output + a.usage.outputTokens,
      cacheRead: sum.cacheRead + a.usage.cacheReadTokens,
      cacheWrite: sum.cacheWrite + a.usage.cacheWriteTokens,
    }),
    { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );
  return {
    componentName: input.spec.name,
    componentType: input.spec.component_type,
    description: input.spec.description,
    airflowVersion: input.spec.airflow_version,
    issueNumber: input.issueNumber,
    files: input.files,
    findings: findingsOf(input.checks),
    fixes: fixesOf(input.checks),
    learnedUsed: input.learnedUsed,
    ...(input.apiFacts === undefined ? {} : { apiFacts: input.apiFacts }),
    provider: input.provider,
    model: input.model,
    scaffold: input.scaffold,
    attempts: input.attempts.map((a) => ({
      number: a.number,
      trigger: a.trigger,
      outcome: a.outcome,
      ...(a.failureReason === null ? {} : { reason: a.failureReason }),
    })),
    usage,
    costUsd: input.attempts.reduce((sum, a) => sum + a.costUsd, 0),
  };
}
