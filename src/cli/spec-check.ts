import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import { formatFindings, parseSpecFile, specFingerprint, type SpecParseResult } from "../spec/index.js";

export const SPEC_USAGE = `Usage: opforge spec check [--json] <spec.yaml> [more specs...]

Checks component spec files (YAML in the Airflow Component Factory format, or a saved issue body
in .md/.txt) and prints every error and warning with its file, line and field.

Options:
  --json      print one JSON object per run: {"files": [{file, ok, errors, warnings, name, fingerprint}]}
  -h, --help  show this help

Exit status: 0 every spec is valid (warnings allowed), 1 a spec is invalid or a file cannot be read,
2 usage error.
`;

interface FileReport {
  file: string;
  ok: boolean;
  errors: SpecParseResult["warnings"];
  warnings: SpecParseResult["warnings"];
  name?: string;
  component_type?: string;
  fingerprint?: string;
  /** Set when the file could not be read at all. */
  readError?: string;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

async function checkFile(file: string, io: CliIo): Promise<FileReport> {
  try {
    const result = await parseSpecFile(resolve(io.cwd, file));
    if (result.ok) {
      return {
        file,
        ok: true,
        errors: [],
        warnings: result.warnings,
        name: result.spec.name,
        component_type: result.spec.component_type,
        fingerprint: specFingerprint(result.spec),
      };
    }
    return { file, ok: false, errors: result.errors, warnings: result.warnings };
  } catch (error) {
    // The absolute path would only add noise; name the file as the user wrote it.
    const message = (error as Error).message.replace(`"${resolve(io.cwd, file)}"`, `"${file}"`);
    return { file, ok: false, errors: [], warnings: [], readError: message };
  }
}

function verdict(report: FileReport): string {
  if (report.readError) return `${report.file}: ${report.readError}`;
  const warnings = report.warnings.length > 0 ? ` (${plural(report.warnings.length, "warning")})` : "";
  if (report.ok) return `${report.file}: valid ${report.component_type} spec ${report.name}${warnings}`;
  return `${report.file}: invalid spec: ${plural(report.errors.length, "error")}${report.warnings.length > 0 ? `, ${plural(report.warnings.length, "warning")}` : ""}`;
}

/** `opforge spec check <file...>`: validates spec files and reports their findings. */
export const specCommand: CliCommand = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    io.stderr(`opforge spec: ${(error as Error).message}\n\n${SPEC_USAGE}`);
    return EXIT_USAGE;
  }
  const [subcommand, ...files] = parsed.positionals;
  if (parsed.values.help) {
    io.stdout(SPEC_USAGE);
    return EXIT_OK;
  }
  if (subcommand === undefined) {
    io.stderr(`opforge spec: missing subcommand\n\n${SPEC_USAGE}`);
    return EXIT_USAGE;
  }
  if (subcommand !== "check") {
    io.stderr(`opforge spec: unknown subcommand "${subcommand}" (the only one is "check")\n\n${SPEC_USAGE}`);
    return EXIT_USAGE;
  }
  if (files.length === 0) {
    io.stderr(`opforge spec check: missing path of the spec file to check\n\n${SPEC_USAGE}`);
    return EXIT_USAGE;
  }

  const reports: FileReport[] = [];
  for (const file of files) reports.push(await checkFile(file, io));

  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ files: reports }, null, 2)}\n`);
  } else {
    for (const report of reports) {
      const findings = formatFindings([...report.errors, ...report.warnings], report.file);
      if (findings !== "") io.stdout(`${findings}\n`);
      (report.readError ? io.stderr : io.stdout)(`${verdict(report)}\n`);
    }
  }
  return reports.every((report) => report.ok) ? EXIT_OK : EXIT_INVALID_INPUT;
};
