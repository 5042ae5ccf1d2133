import { describe, expect, it } from "vitest";
import { assertValidBranchName, branchName, getBranchHeadSha, isOpforgeBranch } from "../../src/github/index.js";
import { REPO_PATH, fixture, github, makeOctokit, refBody, useNock } from "./helpers.js";

useNock();

describe("branchName", () => {
  it.each([
    [42, "s3_key_size_sensor", "opforge/42-s3_key_size_sensor"],
    [7, "S3 Key/Size Sensor!", "opforge/7-s3-key-size-sensor"],
    [7, "__weird..name--", "opforge/7-weird-name"],
    [1, "x".repeat(200), `opforge/1-${"x".repeat(60)}`],
  ])("(%d, %j) → %s", (issue, name, expected) => {
    const branch = branchName(issue, name);
    expect(branch).toBe(expected);
    expect(() => assertValidBranchName(branch)).not.toThrow();
  });

  it("never ends a truncated name on a separator", () => {
    expect(branchName(3, `${"a".repeat(59)}_b`)).toBe(`opforge/3-${"a".repeat(59)}`);
  });

  it("rejects names with nothing to keep and bad issue numbers", () => {
    expect(() => branchName(3, "!!!")).toThrow('snakeName "!!!" has no letters or digits');
    expect(() => branchName(0, "x")).toThrow("issueNumber must be a positive integer, got 0");
    expect(() => branchName(1.5, "x")).toThrow("issueNumber must be a positive integer, got 1.5");
  });
});

describe("isOpforgeBranch", () => {
  it.each([
    ["opforge/42-s3_key_size_sensor", undefined, true],
    ["refs/heads/opforge/42-s3_key_size_sensor", undefined, true],
    ["opforge/", undefined, false],
    ["main", undefined, false],
    ["feature/opforge/42-x", undefined, false],
    ["bots/42-x", "bots/", true],
  ] as [string, string | undefined, boolean][])("%s (prefix %s) → %s", (name, prefix, expected) => {
    expect(isOpforgeBranch(name, prefix)).toBe(expected);
  });
});

describe("assertValidBranchName", () => {
  it.each(["a..b", "a b", "-x", "x/", "x.lock", "a/.hidden", "x~1", "a@{b", "refs/heads/x"])("rejects %j", (name) => {
    expect(() => assertValidBranchName(name)).toThrow(`branch ${JSON.stringify(name)} is not a valid branch name`);
  });
});

describe("getBranchHeadSha", () => {
  it("returns the commit the branch points at", async () => {
    github()
      .get(`${REPO_PATH}/git/ref/heads%2Fopforge%2F42-s3_key_size_sensor`)
      .reply(200, refBody("opforge/42-s3_key_size_sensor", "3f5a8c1d2e4b6a7908172635445362718091a2b3"));

    expect(await getBranchHeadSha(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", branch: "opforge/42-s3_key_size_sensor" })).toBe(
      "3f5a8c1d2e4b6a7908172635445362718091a2b3",
    );
  });

  it("returns null for a branch that does not exist", async () => {
    github().get(`${REPO_PATH}/git/ref/heads%2Fgone`).reply(404, fixture("error-not-found"));

    expect(await getBranchHeadSha(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", branch: "gone" })).toBeNull();
  });

  it("lets an empty repository's 409 through with its status", async () => {
    github()
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(409, { message: "Git Repository is empty.", documentation_url: "https://docs.github.com/rest/git/refs#get-a-reference", status: "409" });

    await expect(getBranchHeadSha(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", branch: "main" })).rejects.toMatchObject({ status: 409 });
  });
});
