import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specCommand } from "../../src/cli/spec-check.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliIo } from "../../src/cli/io.js";
import { FIXTURES } from "./helpers.js";

function capture(cwd = FIXTURES): { io: CliIo; out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    io: { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), cwd, env: {} },
    out: () => stdout,
    err: () => stderr,
  };
}

describe("opforge spec check", () => {
  it("prints the verdict of a valid spec and exits 0", async () => {
    const { io, out, err } = capture();
    expect(await specCommand(["check", "minimal.yaml"], io)).toBe(EXIT_OK);
    expect(out()).toBe("minimal.yaml: valid operator spec NoopOperator\n");
    expect(err()).toBe("");
  });

  it("prints warnings of a valid spec and still exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opforge-cli-"));
    try {
      writeFileSync(join(dir, "warn.yaml"), "name: AOperator\ndescription: x\ncomponent_type: operator\nteam: data\n");
      const { io, out } = capture(dir);
      expect(await specCommand(["check", "warn.yaml"], io)).toBe(EXIT_OK);
      expect(out()).toBe(
        'warn.yaml:4: warning: team: "team" is not a documented spec key; kept as written but not used\nwarn.yaml: valid operator spec AOperator (1 warning)\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints each error with file, line and path, then the verdict, and exits 1", async () => {
    const { io, out } = capture();
    expect(await specCommand(["check", "broken/duplicate-input.yaml"], io)).toBe(EXIT_INVALID_INPUT);
    expect(out().split("\n")).toEqual([
      'broken/duplicate-input.yaml:10: error: config_params[0].name: duplicate name "source": inputs[0] already uses it (names must be unique across inputs and config_params)',
      "broken/duplicate-input.yaml: invalid spec: 1 error",
      "",
    ]);
  });

  it("checks several files and fails if one is invalid", async () => {
    const { io, out } = capture();
    expect(await specCommand(["check", "full.yaml", "broken/bad-name.yaml"], io)).toBe(EXIT_INVALID_INPUT);
    expect(out()).toContain("full.yaml: valid sensor spec S3KeyArrivalSensor\n");
    expect(out()).toContain("broken/bad-name.yaml: invalid spec: 1 error\n");
  });

  it("reads saved issue bodies too", async () => {
    const { io, out } = capture();
    expect(await specCommand(["check", "issue-form.md"], io)).toBe(EXIT_OK);
    expect(out()).toBe("issue-form.md: valid sensor spec RedisKeySensor\n");
  });

  it("names an unreadable file and exits 1", async () => {
    const { io, out, err } = capture();
    expect(await specCommand(["check", "nope.yaml"], io)).toBe(EXIT_INVALID_INPUT);
    expect(err()).toBe('nope.yaml: cannot read spec file "nope.yaml": no such file\n');
    expect(out()).toBe("");
  });

  it("prints JSON with --json", async () => {
    const { io, out } = capture();
    expect(await specCommand(["check", "--json", "minimal.yaml", "broken/bad-ui-color.yaml"], io)).toBe(EXIT_INVALID_INPUT);
    const report = JSON.parse(out()) as { files: Array<Record<string, unknown>> };
    expect(report.files).toHaveLength(2);
    expect(report.files[0]).toMatchObject({ file: "minimal.yaml", ok: true, name: "NoopOperator", component_type: "operator", errors: [], warnings: [] });
    expect(report.files[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(report.files[1]).toMatchObject({ file: "broken/bad-ui-color.yaml", ok: false, errors: [{ path: "ui_color", severity: "error", line: 4 }] });
  });

  it("prints usage on --help and -h and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const { io, out } = capture();
      expect(await specCommand([flag], io)).toBe(EXIT_OK);
      expect(out()).toMatch(/^Usage: opforge spec check \[--json\] <spec\.yaml>/);
    }
    const { io, out } = capture();
    expect(await specCommand(["check", "--help"], io)).toBe(EXIT_OK);
    expect(out()).toContain("Exit status: 0 every spec is valid");
  });

  it.each([
    [[], /missing subcommand/],
    [["lint", "a.yaml"], /unknown subcommand "lint"/],
    [["check"], /missing path of the spec file/],
    [["check", "--verbose", "a.yaml"], /Unknown option '--verbose'/],
  ])("exits 2 on usage error %j", async (argv, message) => {
    const { io, out, err } = capture();
    expect(await specCommand(argv, io)).toBe(EXIT_USAGE);
    expect(err()).toMatch(message);
    expect(err()).toContain("Usage: opforge spec check");
    expect(out()).toBe("");
  });
});
