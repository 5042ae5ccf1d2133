import { describe, expect, it } from "vitest";
import { openOrUpdatePullRequest } from "../../src/github/index.js";
import type { PullRequestInput } from "../../src/github/index.js";
import { REPO_PATH, captureBodies, fixture, github, makeOctokit, patched, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const BRANCH = "opforge/42-s3_key_size_sensor";
const LIST_QUERY = { head: `octo-org:${BRANCH}`, base: "main", state: "open" };

function input(overrides: Partial<PullRequestInput> = {}): PullRequestInput {
  return {
    owner: "octo-org",
    repo: "airflow-plugins",
    head: BRANCH,
    base: "main",
    title: "Add S3KeySizeSensor (#42)",
    body: "Generated from #42.\n\n- plugins/sensors/s3_key_size_sensor.py",
    ...overrides,
  };
}

describe("openOrUpdatePullRequest", () => {
  it("opens a pull request when none is open for the branch", async () => {
    const created = captureBodies();
    github()
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [])
      .post(`${REPO_PATH}/pulls`, created.match)
      .reply(201, fixture("pull-request"));

    const result = await openOrUpdatePullRequest(makeOctokit(), input());

    expect(result).toEqual({ number: 57, url: "https://github.com/octo-org/airflow-plugins/pull/57", created: true });
    expect(created.bodies).toEqual([
      { head: BRANCH, base: "main", title: "Add S3KeySizeSensor (#42)", body: "Generated from #42.\n\n- plugins/sensors/s3_key_size_sensor.py" },
    ]);
  });

  it("updates title and body of the open pull request instead of opening another", async () => {
    const updates = captureBodies();
    github()
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [fixture("pull-request")])
      .patch(`${REPO_PATH}/pulls/57`, updates.match)
      .reply(200, patched("pull-request", { title: "Add S3KeySizeSensor (#42), attempt 2" }));

    const result = await openOrUpdatePullRequest(makeOctokit(), input({ title: "Add S3KeySizeSensor (#42), attempt 2" }));

    expect(result).toEqual({ number: 57, url: "https://github.com/octo-org/airflow-plugins/pull/57", created: false });
    expect(updates.bodies).toEqual([{ title: "Add S3KeySizeSensor (#42), attempt 2", body: input().body }]);
  });

  it("sends nothing when the open pull request already has this title and body", async () => {
    github()
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [patched("pull-request", { body: input().body })]);

    const result = await openOrUpdatePullRequest(makeOctokit(), input());

    expect(result).toEqual({ number: 57, url: "https://github.com/octo-org/airflow-plugins/pull/57", created: false });
    expect(unmatchedRequests).toEqual([]);
  });

  it("updates the pull request another run opened between list and create (422 already exists)", async () => {
    const updates = captureBodies();
    github()
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [])
      .post(`${REPO_PATH}/pulls`)
      .reply(422, fixture("error-pull-exists"))
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [patched("pull-request", { number: 58, html_url: "https://github.com/octo-org/airflow-plugins/pull/58", body: null })])
      .patch(`${REPO_PATH}/pulls/58`, updates.match)
      .reply(200, patched("pull-request", { number: 58 }));

    const result = await openOrUpdatePullRequest(makeOctokit(), input());

    expect(result).toEqual({ number: 58, url: "https://github.com/octo-org/airflow-plugins/pull/58", created: false });
    expect(updates.bodies).toEqual([{ title: input().title, body: input().body }]);
  });

  it("lets other validation failures through with status 422", async () => {
    github()
      .get(`${REPO_PATH}/pulls`)
      .query(LIST_QUERY)
      .reply(200, [])
      .post(`${REPO_PATH}/pulls`)
      .reply(422, {
        message: "Validation Failed",
        errors: [{ resource: "PullRequest", code: "custom", message: `No commits between main and ${BRANCH}` }],
        documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        status: "422",
      });

    await expect(openOrUpdatePullRequest(makeOctokit(), input())).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("No commits between"),
    });
  });

  it.each([
    [{ head: "opforge/42 x" }, 'head "opforge/42 x" is not a valid branch name'],
    [{ base: "" }, "base must be a non-empty string"],
    [{ title: "" }, "title must be a non-empty string"],
  ] as [Partial<PullRequestInput>, string][])("rejects %j before any HTTP call", async (overrides, message) => {
    await expect(openOrUpdatePullRequest(makeOctokit(), input(overrides))).rejects.toThrow(message);
    expect(unmatchedRequests).toEqual([]);
  });
});
