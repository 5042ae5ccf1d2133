import { describe, expect, it } from "vitest";
import { failureFingerprint, fingerprintSetHash, stripLiterals } from "../../src/ci/fingerprint.js";

describe("stripLiterals", () => {
  it("replaces quoted strings, addresses, paths, hex ids and numbers", () => {
    expect(stripLiterals("No module named 'operators.s3_report'")).toBe("No module named <STR>");
    expect(stripLiterals("<Op object at 0x7fc40b777cd0> failed on line 42")).toBe("<Op object at <ADDR>> failed on line <NUM>");
    expect(stripLiterals("DagBag import timeout for /home/runner/work/a/a/dags/x.py after 30.0s.")).toBe(
      "DagBag import timeout for <PATH> after <NUM>s.",
    );
    expect(stripLiterals("commit 9f4c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e is missing")).toBe("commit <HEX> is missing");
    expect(stripLiterals("line too long (96 > 79 characters)")).toBe("line too long (<NUM> > <NUM> characters)");
  });
});

describe("failureFingerprint", () => {
  const base = { check: "test (3.11)", kind: "type" as const, exceptionType: "TypeError" };

  it("is the same for the same mistake with different literals", () => {
    const a = failureFingerprint({ ...base, message: "A.__init__() got an unexpected keyword argument 'task_id'" });
    const b = failureFingerprint({ ...base, message: "A.__init__() got an unexpected keyword argument 'dag'" });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it("differs by check name, exception type and message shape", () => {
    const message = "A.__init__() got an unexpected keyword argument 'task_id'";
    const a = failureFingerprint({ ...base, message });
    expect(failureFingerprint({ ...base, check: "test (3.12)", message })).not.toBe(a);
    expect(failureFingerprint({ ...base, exceptionType: "AirflowException", message })).not.toBe(a);
    expect(failureFingerprint({ ...base, message: "A.__init__() missing keyword argument 'task_id'" })).not.toBe(a);
  });

  it("uses the rule code when there is no exception type", () => {
    const lint = { check: "lint", kind: "lint" as const, message: "`os` imported but unused" };
    expect(failureFingerprint({ ...lint, ruleCode: "F401" })).not.toBe(failureFingerprint({ ...lint, ruleCode: "F811" }));
  });
});

describe("fingerprintSetHash", () => {
  it("ignores order and repetition", () => {
    const a = { fingerprint: "aaaa" };
    const b = { fingerprint: "bbbb" };
    expect(fingerprintSetHash([a, b])).toBe(fingerprintSetHash([b, a, b]));
    expect(fingerprintSetHash([a])).not.toBe(fingerprintSetHash([a, b]));
    expect(fingerprintSetHash([])).toMatch(/^[0-9a-f]{16}$/);
  });
});
