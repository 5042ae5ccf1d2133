import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";

async function secretFindings(source: string): Promise<string[]> {
  const report = await validatePython(source, { kind: "test" });
  return report.findings.filter((f) => f.rule === "hardcoded-secret").map((f) => `${f.severity} ${f.line}`);
}

describe("hard-coded secrets", () => {
  it.each([
    ['password = "airflow"\n', "warning 1"],
    ['def connect(token="abc123"):\n    return token\n', "warning 1"],
    ['settings = {"api_key": "hunter2"}\n', "warning 1"],
    ['client = make(secret="zz9-plural-z-alpha")\n', "warning 1"],
    ['KEY = "AKIAQWERTYUIOPASDFGH"\n', "error 1"],
    ['TOKEN_VALUE = "ghp_0123456789abcdefghijABCDEFGHIJklmnopqr"\n', "error 1"],
    ['SLACK = "xoxb-2222-3333-abcdefghijkl"\n', "error 1"],
  ])("%j is reported (%s)", async (source, expected) => {
    expect(await secretFindings(source)).toEqual([expected]);
  });

  it.each([
    'PARAM_TOKEN = "token"\n',
    'field = dict(secret="secretAccessKey")\n',
    'label = dict(password="API Token")\n',
    'password = ""\n',
    'password = "***"\n',
    'password = "{{ conn.my_db.password }}"\n',
    'def get_ui_field_behaviour():\n    return {"placeholders": {"password": "xoxb-1234567890123-09876543210987-AbCdEfGhIjKl", "login": "AKIAIOSFODNN7EXAMPLE"}}\n',
    'def get_ui_field_behaviour():\n    return {"relabeling": {"password": "Token"}}\n',
  ])("%j is not a secret", async (source) => {
    expect(await secretFindings(source)).toEqual([]);
  });
});
