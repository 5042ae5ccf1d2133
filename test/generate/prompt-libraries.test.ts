import { describe, expect, it } from "vitest";
import { buildPrompt } from "../../src/generate/prompt/index.js";
import { librariesToPin, libraryVersionsSections } from "../../src/generate/prompt/libraries.js";
import { AirflowConstraints, airflowConstraints } from "../../src/knowledge/constraints.js";
import { KB_FORMAT_VERSION } from "../../src/knowledge/format.js";
import { makeSpec, weatherSpec } from "./helpers.js";

const kb = new AirflowConstraints({
  format: KB_FORMAT_VERSION,
  versions: [
    { airflow: "2.9", major: "2", ref: "constraints-2-9", commit: "a".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4", requests: "2.31.0" } },
    {
      airflow: "2.10",
      major: "2",
      ref: "constraints-2-10",
      commit: "b".repeat(40),
      file: "constraints-3.11.txt",
      pins: { pandas: "2.1.4", sqlalchemy: "1.4.54", requests: "2.32.3", tenacity: "8.5.0", "apache-airflow-providers-http": "4.13.2" },
    },
    { airflow: "3.0", major: "3", ref: "constraints-main", commit: "c".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.2.3", sqlalchemy: "2.0.36", requests: "2.32.3" } },
  ],
});

describe("library versions in the prompt", () => {
  it("lists the spec's dependencies and the biting libraries the prompt mentions, with the newest constraints of the target", () => {
    const spec = makeSpec({ airflow_version: "2", category: "database", dependencies: ["tenacity>=8", "apache-airflow-providers-http>=4"] });
    const text = "Loads the query result into a pandas DataFrame through get_sqlalchemy_engine().";
    expect(libraryVersionsSections(spec, "2", text, kb)).toEqual([
      "# Library versions\nAssume these library versions (Airflow 2.10 constraints): tenacity==8.5.0, sqlalchemy==1.4.54, pandas==2.1.4.\nAirflow installs them; use only APIs these versions have.",
    ]);
  });

  it("gives one line per major for both, or one when they agree", () => {
    const spec = makeSpec({ category: "file", dependencies: ["pandas"] });
    expect(libraryVersionsSections(spec, "both", "", kb)[0]).toBe(
      "# Library versions\nAssume these library versions (Airflow 2.10 constraints): pandas==2.1.4.\nAssume these library versions (Airflow 3.0 constraints): pandas==2.2.3.\nAirflow installs them; use only APIs these versions have.",
    );
    const http = makeSpec({ dependencies: [], category: "http" });
    expect(libraryVersionsSections(http, "both", "", kb)[0]).toContain("Assume these library versions (Airflow 2.10 and 3.0 constraints): requests==2.32.3.");
  });

  it("says nothing of libraries that are not relevant, not pinned, or pinned otherwise by the spec", () => {
    expect(libraryVersionsSections(makeSpec({ category: "file" }), "2", "Computes checksums of files.", kb)).toEqual([]);
    expect(libraryVersionsSections(makeSpec({ category: "file", dependencies: ["pyyaml"] }), "2", "", kb)).toEqual([]);
    expect(libraryVersionsSections(makeSpec({ category: "file", dependencies: ["pandas>=2.2"] }), "2", "", kb)).toEqual([]);
    expect(librariesToPin(makeSpec({ category: "file" }), "Handles many requests from users.")).toEqual([]);
  });

  it("is part of the user message, after the spec and with the committed constraints", () => {
    const { user } = buildPrompt(weatherSpec(), { learned: [], airflowVersion: "2" }).prompt;
    const requests = airflowConstraints().pinForMajor("requests", "2");
    const newest = airflowConstraints().newest("2");
    expect(user).toContain(`# Library versions\nAssume these library versions (Airflow ${newest?.airflow} constraints): requests==${requests?.version}.`);
    expect(user.indexOf("# Library versions")).toBeGreaterThan(user.indexOf("## Python dependencies (PEP 508)"));
  });
});
