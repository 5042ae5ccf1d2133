import type { SpecFinding } from "./types.js";
import { formatPath, type SpecPath } from "./path.js";

/** Where findings get their line numbers: the parsed source, when it knows one for a path. */
export interface LineLookup {
  lineOf(path: SpecPath): number | undefined;
}

export const NO_LINES: LineLookup = { lineOf: () => undefined };

/** Collects errors and warnings in the order they are found, each tagged with its source line. */
export class FindingCollector {
  readonly errors: SpecFinding[] = [];
  readonly warnings: SpecFinding[] = [];

  constructor(private readonly lines: LineLookup = NO_LINES) {}

  error(path: SpecPath, message: string): void {
    this.errors.push(this.make(path, "error", message));
  }

  warn(path: SpecPath, message: string): void {
    this.warnings.push(this.make(path, "warning", message));
  }

  add(finding: SpecFinding): void {
    (finding.severity === "error" ? this.errors : this.warnings).push(finding);
  }

  private make(path: SpecPath, severity: SpecFinding["severity"], message: string): SpecFinding {
    const finding: SpecFinding = { path: formatPath(path), severity, message };
    const line = this.lines.lineOf(path);
    if (line !== undefined) finding.line = line;
    return finding;
  }
}

/**
 * Human text, one line per finding, in source order:
 * `specs/http.yaml:12: error: inputs[2].name: ...`.
 */
export function formatFindings(findings: SpecFinding[], fileName?: string): string {
  const where = fileName ?? "spec";
  const ordered = findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => {
      const lineA = a.finding.line ?? Number.MAX_SAFE_INTEGER;
      const lineB = b.finding.line ?? Number.MAX_SAFE_INTEGER;
      return lineA - lineB || a.index - b.index;
    });
  return ordered
    .map(({ finding }) => {
      const location = finding.line === undefined ? where : `${where}:${finding.line}`;
      const path = finding.path === "" ? "" : `${finding.path}: `;
      return `${location}: ${finding.severity}: ${path}${finding.message.replace(/\s*\n\s*/g, " ")}`;
    })
    .join("\n");
}
