import { describe, expect, it } from "vitest";
import { AirflowConstraints } from "../../src/knowledge/constraints.js";
import { KB_FORMAT_VERSION } from "../../src/knowledge/format.js";
import { constraintConflict, exactPin, specifiersAllow } from "../../src/spec/dependency-pins.js";
import { formatFindings } from "../../src/spec/index.js";
import { renderStatusComment } from "../../src/pipeline/render.js";
import { parseRequirement } from "../../src/spec/pep508.js";
import { BASE, expectValid, parseYaml } from "./helpers.js";

const kb = new AirflowConstraints({
  format: KB_FORMAT_VERSION,
  versions: [
    { airflow: "2.9", major: "2", ref: "constraints-2-9", commit: "a".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4", numpy: "1.26.4" } },
    { airflow: "2.10", major: "2", ref: "constraints-2-10", commit: "b".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4", "apache-airflow-providers-http": "4.13.2" } },
    { airflow: "3.0", major: "3", ref: "constraints-main", commit: "c".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.2.3" } },
  ],
});

describe("constraintConflict", () => {
  it("names the constrained version, the Airflow version and the constraints file", () => {
    expect(constraintConflict("pandas>=2.2", "2.10", kb)).toBe(
      "pandas>=2.2 excludes pandas 2.1.4, the version Airflow 2.10 pins in its constraints (constraints-2-10/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    );
    expect(constraintConflict("pandas==2.2.1", "2", kb)).toBe(
      "pandas==2.2.1 excludes pandas 2.1.4, the version Airflow 2.9 and 2.10 pin in their constraints (constraints-2-9/constraints-3.11.txt, constraints-2-10/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    );
    expect(constraintConflict("Pandas<2.2", "both", kb)).toBe(
      "Pandas<2.2 excludes pandas 2.2.3, the version Airflow 3.0 pins in its constraints (constraints-main/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    );
    expect(constraintConflict("pandas==1.5.3", "both", kb)).toBe(
      "pandas==1.5.3 excludes pandas 2.1.4, the version Airflow 2.9 and 2.10 pin in their constraints (constraints-2-9/constraints-3.11.txt, constraints-2-10/constraints-3.11.txt), and pandas 2.2.3, the version Airflow 3.0 pins in its constraints (constraints-main/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    );
  });

  it("stays quiet when every targeted pin is allowed, or nothing is pinned or claimed", () => {
    expect(constraintConflict("pandas>=2.2", "3", kb)).toBeUndefined();
    expect(constraintConflict("pandas~=2.1", "2", kb)).toBeUndefined();
    expect(constraintConflict("pandas==2.1.*", "2", kb)).toBeUndefined();
    expect(constraintConflict("pandas", "both", kb)).toBeUndefined();
    expect(constraintConflict("numpy<2", "2", kb)).toBeUndefined();
    expect(constraintConflict("numpy>=2", "3", kb)).toBeUndefined();
    expect(constraintConflict("unknown-lib>=9", "both", kb)).toBeUndefined();
    expect(constraintConflict("apache-airflow-providers-http>=5", "2", kb)).toBeUndefined();
    expect(constraintConflict("pandas @ https://example.com/pandas.whl", "2", kb)).toBeUndefined();
  });

  it("compares versions by PEP 440", () => {
    expect(specifiersAllow("2.1.4", [{ operator: "~=", version: "2.1" }])).toBe(true);
    expect(specifiersAllow("2.1.4", [{ operator: ">=", version: "2.1.4.post1" }])).toBe(false);
    expect(specifiersAllow("1.4.54", [{ operator: ">=", version: "1.4" }, { operator: "<", version: "2" }])).toBe(true);
    expect(specifiersAllow("2.1.4", [{ operator: "!=", version: "2.1.*" }])).toBe(false);
    const exact = (text: string) => {
      const r = parseRequirement(text);
      return r.ok ? exactPin(r.requirement) : "invalid";
    };
    expect(exact("pandas==2.2.1")).toBe("2.2.1");
    expect(exact("pandas===2.2.1")).toBe("2.2.1");
    expect(exact("pandas==2.2.*")).toBeUndefined();
    expect(exact("pandas>=2.2")).toBeUndefined();
  });
});

describe("spec warnings from Airflow's constraints (committed data)", () => {
  it("warns at dependencies[i] with its line, and formats like other findings", () => {
    const result = parseYaml(`${BASE}airflow_version: "2"\ndependencies:\n  - requests>=2.31\n  - pandas>=2.2\n`);
    expectValid(result);
    const warning = result.warnings.find((w) => w.path === "dependencies[1]");
    expect(warning).toEqual({
      path: "dependencies[1]",
      severity: "warning",
      line: 7,
      message:
        "pandas>=2.2 excludes pandas 2.1.4, the version Airflow 2.9 and 2.10 pin in their constraints (constraints-2-9/constraints-3.11.txt, constraints-2-10/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    });
    expect(result.warnings.filter((w) => w.path === "dependencies[0]")).toEqual([]);
    expect(formatFindings([warning!], "spec.yaml")).toBe(
      "spec.yaml:7: warning: dependencies[1]: pandas>=2.2 excludes pandas 2.1.4, the version Airflow 2.9 and 2.10 pin in their constraints (constraints-2-9/constraints-3.11.txt, constraints-2-10/constraints-3.11.txt); pip will fail to resolve or break Airflow",
    );
  });

  it("checks a 3 target against 3.x pins only and a both target against all", () => {
    const three = parseYaml(`${BASE}airflow_version: "3"\ndependencies: ["sqlalchemy>=2.0"]\n`);
    const message = three.warnings.find((w) => w.path === "dependencies[0]")?.message;
    expect(message).toMatch(/^sqlalchemy>=2\.0 excludes sqlalchemy 1\.4\.\d+, the version Airflow 3\.0 pins in its constraints \(constraints-main\/constraints-3\.11\.txt\)/);
    const both = parseYaml(`${BASE}dependencies: ["sqlalchemy>=2.0"]\n`);
    const all = both.warnings.find((w) => w.path === "dependencies[0]")?.message ?? "";
    for (const file of ["constraints-2-9/", "constraints-2-10/", "constraints-main/"]) expect(all).toContain(file);
  });
});

describe("the issue status comment", () => {
  it("lists the constraint warning with its field path and line under the status", () => {
    const result = parseYaml(`${BASE}airflow_version: "2"\ndependencies:\n  - pandas>=2.2\n`);
    expect(renderStatusComment({ state: "generating", attempt: 1 }, result.warnings)).toBe(
      [
        "⚙️ **opforge**: generating (attempt 1)…",
        "",
        "Spec warnings (these do not block generation):",
        "- `dependencies[0]` (line 6): pandas>=2.2 excludes pandas 2.1.4, the version Airflow 2.9 and 2.10 pin in their constraints (constraints-2-9/constraints-3.11.txt, constraints-2-10/constraints-3.11.txt); pip will fail to resolve or break Airflow",
      ].join("\n"),
    );
    expect(renderStatusComment({ state: "queued" }, [])).toBe("⏳ **opforge**: the spec is valid; generation is queued.");
  });
});
