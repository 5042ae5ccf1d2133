import { describe, expect, it } from "vitest";
import { MAX_CHECK_OUTPUT_CHARS, createCheckRun, truncateText } from "../../src/github/index.js";
import type { CheckAnnotation, CheckRunInput } from "../../src/github/index.js";
import { REPO_PATH, captureBodies, fixture, github, makeOctokit, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const HEAD_SHA = "3f5a8c1d2e4b6a7908172635445362718091a2b3";

function annotations(count: number): CheckAnnotation[] {
  return Array.from({ length: count }, (_, index) => ({
    path: "plugins/sensors/s3_key_size_sensor.py",
    start_line: index + 1,
    end_line: index + 1,
    annotation_level: index % 2 === 0 ? "failure" : "warning",
    message: `finding ${index + 1}`,
    title: `rule-${index + 1}`,
  }));
}

function input(overrides: Partial<CheckRunInput> = {}): CheckRunInput {
  return {
    owner: "octo-org",
    repo: "airflow-plugins",
    headSha: HEAD_SHA,
    conclusion: "failure",
    title: "2 findings",
    summary: "Validation found problems.",
    annotations: annotations(2),
    ...overrides,
  };
}

describe("createCheckRun", () => {
  it("creates a completed run with its annotations in one request", async () => {
    const creates = captureBodies();
    github().post(`${REPO_PATH}/check-runs`, creates.match).reply(201, fixture("check-run"));

    const result = await createCheckRun(makeOctokit(), input());

    expect(result).toEqual({ id: 31234567890, url: "https://github.com/octo-org/airflow-plugins/runs/31234567890", requests: 1 });
    expect(creates.bodies).toEqual([
      {
        name: "opforge/validate",
        head_sha: HEAD_SHA,
        status: "completed",
        conclusion: "failure",
        output: { title: "2 findings", summary: "Validation found problems.", annotations: annotations(2) },
      },
    ]);
  });

  it("sends 120 annotations as create(50) + update(50) + update(20), in order", async () => {
    const creates = captureBodies();
    const updates = captureBodies();
    github()
      .post(`${REPO_PATH}/check-runs`, creates.match)
      .reply(201, fixture("check-run"))
      .patch(`${REPO_PATH}/check-runs/31234567890`, updates.match)
      .times(2)
      .reply(200, fixture("check-run"));

    const all = annotations(120);
    const result = await createCheckRun(makeOctokit(), input({ annotations: all, title: "120 findings" }));

    expect(result.requests).toBe(3);
    const sent = [creates.bodies[0], ...updates.bodies] as { output: { title: string; summary: string; annotations: CheckAnnotation[] } }[];
    expect(sent.map((body) => body.output.annotations.length)).toEqual([50, 50, 20]);
    expect(sent.flatMap((body) => body.output.annotations)).toEqual(all);
    for (const body of sent) expect(body.output).toMatchObject({ title: "120 findings", summary: "Validation found problems." });
    expect(updates.bodies[0]).not.toHaveProperty("status");
  });

  it("sends exactly 50 annotations without an update", async () => {
    const creates = captureBodies();
    github().post(`${REPO_PATH}/check-runs`, creates.match).reply(201, fixture("check-run"));

    const result = await createCheckRun(makeOctokit(), input({ annotations: annotations(50) }));

    expect(result.requests).toBe(1);
    expect((creates.bodies[0] as { output: { annotations: unknown[] } }).output.annotations).toHaveLength(50);
  });

  it("cuts the summary and text to 65,535 characters with a visible note", async () => {
    const creates = captureBodies();
    github().post(`${REPO_PATH}/check-runs`, creates.match).reply(201, fixture("check-run"));

    await createCheckRun(makeOctokit(), input({ summary: "s".repeat(70_000), text: "t".repeat(65_536), conclusion: "success", annotations: [] }));

    const output = (creates.bodies[0] as { output: { summary: string; text: string } }).output;
    expect(output.summary).toHaveLength(MAX_CHECK_OUTPUT_CHARS);
    expect(output.summary.endsWith("… (truncated)")).toBe(true);
    expect(output.text).toHaveLength(MAX_CHECK_OUTPUT_CHARS);
  });

  it("lets a 403 (missing checks permission) through with its status", async () => {
    github()
      .post(`${REPO_PATH}/check-runs`)
      .reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run", status: "403" });

    await expect(createCheckRun(makeOctokit(), input())).rejects.toMatchObject({ status: 403 });
  });

  it.each([
    [{ headSha: "main" }, 'headSha "main" must be a 40-character commit SHA'],
    [{ annotations: [{ ...annotations(1)[0]!, start_line: 0 }] }, "annotations[0].start_line must be a positive integer"],
    [{ annotations: [...annotations(3), { ...annotations(1)[0]!, end_line: 0 }] }, "annotations[3].end_line must be an integer >= start_line (1)"],
    [{ annotations: [{ ...annotations(1)[0]!, path: "/abs.py" }] }, 'annotations[0].path "/abs.py" is invalid: path is absolute'],
    [{ annotations: [{ ...annotations(1)[0]!, message: "" }] }, "annotations[0].message must be a non-empty string"],
    [{ title: "" }, "title must be a non-empty string"],
  ] as [Partial<CheckRunInput>, string][])("rejects %j before any HTTP call", async (overrides, message) => {
    await expect(createCheckRun(makeOctokit(), input(overrides))).rejects.toThrow(message);
    expect(unmatchedRequests).toEqual([]);
  });
});

describe("truncateText", () => {
  it("keeps text within the limit unchanged", () => {
    expect(truncateText("short", 10)).toBe("short");
  });

  it("never splits a surrogate pair at the cut", () => {
    const note = "\n\n… (truncated)";
    const text = "a".repeat(4) + "😀".repeat(20);
    const cut = truncateText(text, 5 + note.length);
    expect(cut.length).toBeLessThanOrEqual(5 + note.length);
    expect(cut).toBe("aaaa" + note);
  });
});
