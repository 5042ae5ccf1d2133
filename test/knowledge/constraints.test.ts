import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildConstraints,
  DEFAULT_CONSTRAINTS_PATH,
  encodeConstraints,
  parseConstraintsFile,
  writeConstraints,
} from "../../src/knowledge/build/constraints.js";
import { AirflowConstraints, airflowConstraints, compareAirflowVersions, readConstraintsFile } from "../../src/knowledge/constraints.js";
import { KB_FORMAT_VERSION, kbConstraintsSchema } from "../../src/knowledge/format.js";

const FIXTURE = readFileSync(new URL("../fixtures/constraints/constraints-3.11.txt", import.meta.url), "utf8");

describe("parseConstraintsFile", () => {
  it("reads name==version lines under PEP 503 names, sorted, and the header's date and branch", () => {
    const parsed = parseConstraintsFile(FIXTURE);
    expect(parsed.pins).toEqual({
      "apache-airflow-providers-http": "1.0.0",
      flask: "2.0.1",
      numpy: "1.20.0",
      pandas: "1.5.0",
      "ruamel-yaml-clib": "0.2.0",
      sqlalchemy: "1.3.9",
      "typing-extensions": "4.0.0",
      "zope-event": "5.0",
    });
    expect(Object.keys(parsed.pins)).toEqual(Object.keys(parsed.pins).sort());
    expect(parsed.generated).toBe("2024-01-02T03:04:05");
    expect(parsed.branch).toBe("v9-1-test");
  });

  it("names the line that is not a pin, and a library pinned twice", () => {
    expect(() => parseConstraintsFile("# c\nfoo==1\nbar>=2\n", "x.txt")).toThrow('x.txt:3: expected "name==version", got "bar>=2"');
    expect(() => parseConstraintsFile("Foo_Bar==1\nfoo-bar==2\n", "x.txt")).toThrow("x.txt:2: foo-bar is pinned twice, to 1 and 2");
    expect(parseConstraintsFile("Foo_Bar==1\nfoo.bar==1\n").pins).toEqual({ "foo-bar": "1" });
  });
});

describe("buildConstraints from a git repository", () => {
  let dir: string;
  let commit: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "opforge-constraints-"));
    git("init", "-q", "-b", "constraints-9-1");
    git("config", "user.email", "t@example.com");
    git("config", "user.name", "t");
    writeFileSync(join(dir, "constraints-3.11.txt"), FIXTURE);
    git("add", "constraints-3.11.txt");
    git("commit", "-q", "-m", "constraints");
    commit = git("rev-parse", "HEAD");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records each file's ref and commit, skips optional refs that are absent, fails on required ones", async () => {
    const data = await buildConstraints(join(dir, ".git"), [
      { airflow: "9.1", major: "2", ref: "constraints-9-1", file: "constraints-3.11.txt" },
      { airflow: "9.2", major: "2", ref: "constraints-9-2", file: "constraints-3.11.txt", optional: true },
      { airflow: "9.3", major: "3", ref: "constraints-9-1", file: "constraints/constraints-3.11.txt", optional: true },
    ]);
    expect(data.format).toBe(KB_FORMAT_VERSION);
    expect(data.versions).toHaveLength(1);
    expect(data.versions[0]).toMatchObject({ airflow: "9.1", major: "2", ref: "constraints-9-1", commit, file: "constraints-3.11.txt", generated: "2024-01-02T03:04:05" });
    expect(data.versions[0]?.pins.sqlalchemy).toBe("1.3.9");
    await expect(buildConstraints(join(dir, ".git"), [{ airflow: "9.2", major: "2", ref: "constraints-9-2", file: "constraints-3.11.txt" }])).rejects.toThrow(
      "no ref constraints-9-2 (constraints of Airflow 9.2)",
    );
  });

  it("writes gzip atomically, the same bytes for the same data", async () => {
    const data = await buildConstraints(join(dir, ".git"), [{ airflow: "9.1", major: "2", ref: "constraints-9-1", file: "constraints-3.11.txt" }]);
    const out = join(dir, "out", "constraints.json.gz");
    const size = await writeConstraints(data, out);
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(size);
    expect(bytes.equals(encodeConstraints(data))).toBe(true);
    expect(kbConstraintsSchema.parse(JSON.parse(gunzipSync(bytes).toString("utf8")))).toEqual(data);
    expect(readConstraintsFile(out).pinnedVersion("SQLAlchemy", "9.1")).toBe("1.3.9");
  });
});

describe("the committed constraints data", () => {
  const kb = airflowConstraints();

  it("is the file the builder writes", () => {
    expect(readConstraintsFile(DEFAULT_CONSTRAINTS_PATH).versions).toEqual(kb.versions);
  });

  it("holds pins for Airflow 2.9, 2.10 and 3.x with the refs and commits they were read from", () => {
    const ids = kb.versions.map((v) => v.airflow);
    expect(ids).toEqual(expect.arrayContaining(["2.9", "2.10"]));
    expect(kb.airflowVersions("3").length).toBeGreaterThan(0);
    for (const v of kb.versions) {
      expect(v.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(v.file).toMatch(/constraints-3\.11\.txt$/);
    }
    expect(kb.airflowVersions("2.10")[0]).toMatchObject({ ref: "constraints-2-10", file: "constraints-3.11.txt" });
  });

  it("pins SQLAlchemy 1.x, pandas 2.1.4 and numpy 1.26.4 on Airflow 2.10", () => {
    expect(kb.pinnedVersion("SQLAlchemy", "2.10")?.split(".")[0]).toBe("1");
    expect(kb.pinnedVersion("pandas", "2.10")).toBe("2.1.4");
    expect(kb.pinnedVersion("numpy", "2.10")).toBe("1.26.4");
    expect(kb.pinForMajor("sqlalchemy", "3")?.version).toMatch(/^\d+\./);
    expect(kb.pinsFor("pandas", "2").map((p) => p.airflow)).toEqual(kb.airflowVersions("2").map((v) => v.airflow));
    expect(kb.pinsFor("pandas", "2.10")[0]).toMatchObject({ library: "pandas", version: "2.1.4", where: "constraints-2-10/constraints-3.11.txt" });
    expect(kb.availableVersions("no-such-library-here")).toEqual([]);
  });
});

describe("AirflowConstraints", () => {
  const kb = new AirflowConstraints({
    format: KB_FORMAT_VERSION,
    versions: [
      { airflow: "3.0", major: "3", ref: "constraints-main", commit: "c".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.2.3" } },
      { airflow: "2.10", major: "2", ref: "constraints-2-10", commit: "b".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4" } },
      { airflow: "2.9", major: "2", ref: "constraints-2-9", commit: "a".repeat(40), file: "constraints-3.11.txt", pins: { pandas: "2.1.4", numpy: "1.26.4" } },
    ],
  });

  it("orders Airflow versions numerically and answers per version, major and both", () => {
    expect(kb.versions.map((v) => v.airflow)).toEqual(["2.9", "2.10", "3.0"]);
    expect(compareAirflowVersions("2.9", "2.10")).toBeLessThan(0);
    expect(kb.newest("2")?.airflow).toBe("2.10");
    expect(kb.pinForMajor("Pandas", "2")).toEqual({
      library: "pandas",
      version: "2.1.4",
      airflow: "2.10",
      major: "2",
      where: "constraints-2-10/constraints-3.11.txt",
      source: `constraints-2-10/constraints-3.11.txt@${"b".repeat(40)}`,
    });
    expect(kb.pinForMajor("numpy", "2")).toBeUndefined();
    expect(kb.pinsFor("numpy", "both").map((p) => p.airflow)).toEqual(["2.9"]);
    expect(kb.availableVersions("pandas")).toEqual(["2.1.4", "2.2.3"]);
    expect(kb.allPins()).toHaveLength(4);
  });
});
