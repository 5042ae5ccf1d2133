import { describe, expect, it } from "vitest";
import { UnsafePathError, commitFiles } from "../../src/github/index.js";
import type { CommitFilesInput } from "../../src/github/index.js";
import { REPO_PATH, captureBodies, commitBody, fixture, github, makeOctokit, refBody, treeBody, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const BRANCH = "opforge/42-s3_key_size_sensor";
const BRANCH_REF = `${REPO_PATH}/git/ref/heads%2Fopforge%2F42-s3_key_size_sensor`;
const BRANCH_PATCH = `${REPO_PATH}/git/refs/heads%2Fopforge%2F42-s3_key_size_sensor`;
const MAIN_SHA = "aa218f56b14c9653891f9e74264a383fa43fefbd";
const MAIN_TREE = "691272480426f78a0138979dd3ce63b77f706feb";
const NEW_TREE = "cd8274d15fa3ae2ab983129fb037999f264ba9a7";
const NEW_COMMIT = "7638417db6d59f3c431d3e1f261cc637155684cd";
const HEAD_SHA = "3f5a8c1d2e4b6a7908172635445362718091a2b3";
const HEAD_TREE = "5b2c31a5d8e9f0a1b2c3d4e5f60718293a4b5c6d";

const FILES = [
  { path: "plugins/sensors/s3_key_size_sensor.py", content: "from airflow.sensors.base import BaseSensorOperator\n" },
  { path: "tests/sensors/test_s3_key_size_sensor.py", content: "def test_poke():\n    pass\n" },
  { path: "dags/example_s3_key_size_sensor.py", content: "from airflow import DAG\n" },
];

function input(overrides: Partial<CommitFilesInput> = {}): CommitFilesInput {
  return {
    owner: "octo-org",
    repo: "airflow-plugins",
    baseBranch: "main",
    branch: BRANCH,
    files: FILES,
    message: "Add S3KeySizeSensor (#42)",
    allowedPaths: ["plugins/", "tests", "dags"],
    ...overrides,
  };
}

const expectedTree = FILES.map((file) => ({ path: file.path, mode: "100644", type: "blob", content: file.content }));

describe("commitFiles on a new branch", () => {
  it("writes every file in one commit on top of the base branch and creates the ref", async () => {
    const trees = captureBodies();
    const commits = captureBodies();
    const refs = captureBodies();
    github()
      .get(BRANCH_REF)
      .reply(404, fixture("error-not-found"))
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(200, refBody("main", MAIN_SHA))
      .get(`${REPO_PATH}/git/commits/${MAIN_SHA}`)
      .reply(200, commitBody(MAIN_SHA, MAIN_TREE, ["1acc419d4d6a9ce985db7be48c6349a0475975b5"]))
      .post(`${REPO_PATH}/git/trees`, trees.match)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`, commits.match)
      .reply(201, commitBody(NEW_COMMIT, NEW_TREE, [MAIN_SHA], "Add S3KeySizeSensor (#42)"))
      .post(`${REPO_PATH}/git/refs`, refs.match)
      .reply(201, refBody(BRANCH, NEW_COMMIT));

    const result = await commitFiles(makeOctokit(), input());

    expect(result).toEqual({ commitSha: NEW_COMMIT, branch: BRANCH, created: true });
    expect(trees.bodies).toEqual([{ base_tree: MAIN_TREE, tree: expectedTree }]);
    expect(commits.bodies).toEqual([{ message: "Add S3KeySizeSensor (#42)", tree: NEW_TREE, parents: [MAIN_SHA] }]);
    expect(refs.bodies).toEqual([{ ref: `refs/heads/${BRANCH}`, sha: NEW_COMMIT }]);
  });

  it("commits on top of the winner when another run created the branch first (422 Reference already exists)", async () => {
    const trees = captureBodies();
    const commits = captureBodies();
    const updates = captureBodies();
    const orphan = "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e";
    github()
      .get(BRANCH_REF)
      .reply(404, fixture("error-not-found"))
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(200, refBody("main", MAIN_SHA))
      .get(`${REPO_PATH}/git/commits/${MAIN_SHA}`)
      .reply(200, commitBody(MAIN_SHA, MAIN_TREE, []))
      .post(`${REPO_PATH}/git/trees`, trees.match)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`, commits.match)
      .reply(201, commitBody(orphan, NEW_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/refs`)
      .reply(422, fixture("error-ref-exists"))
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`, trees.match)
      .reply(201, treeBody("e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"))
      .post(`${REPO_PATH}/git/commits`, commits.match)
      .reply(201, commitBody(NEW_COMMIT, "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4", [HEAD_SHA]))
      .patch(BRANCH_PATCH, updates.match)
      .reply(200, refBody(BRANCH, NEW_COMMIT));

    const result = await commitFiles(makeOctokit(), input());

    expect(result).toEqual({ commitSha: NEW_COMMIT, branch: BRANCH, created: true });
    expect(trees.bodies).toEqual([
      { base_tree: MAIN_TREE, tree: expectedTree },
      { base_tree: HEAD_TREE, tree: expectedTree },
    ]);
    expect(commits.bodies).toMatchObject([{ parents: [MAIN_SHA] }, { parents: [HEAD_SHA] }]);
    expect(updates.bodies).toEqual([{ sha: NEW_COMMIT, force: false }]);
  });

  it("makes no second commit when the run that won the race already wrote the same files", async () => {
    github()
      .get(BRANCH_REF)
      .reply(404, fixture("error-not-found"))
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(200, refBody("main", MAIN_SHA))
      .get(`${REPO_PATH}/git/commits/${MAIN_SHA}`)
      .reply(200, commitBody(MAIN_SHA, MAIN_TREE, []))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`)
      .reply(201, commitBody("0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e", NEW_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/refs`)
      .reply(422, fixture("error-ref-exists"))
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, NEW_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(NEW_TREE));

    const result = await commitFiles(makeOctokit(), input());

    expect(result).toEqual({ commitSha: HEAD_SHA, branch: BRANCH, created: false });
  });

  it("lets other 422s from createRef through with their status", async () => {
    github()
      .get(BRANCH_REF)
      .reply(404, fixture("error-not-found"))
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .reply(200, refBody("main", MAIN_SHA))
      .get(`${REPO_PATH}/git/commits/${MAIN_SHA}`)
      .reply(200, commitBody(MAIN_SHA, MAIN_TREE, []))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`)
      .reply(201, commitBody(NEW_COMMIT, NEW_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/refs`)
      .reply(422, { message: "Reference update failed", documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference", status: "422" });

    await expect(commitFiles(makeOctokit(), input())).rejects.toMatchObject({ status: 422, message: expect.stringContaining("Reference update failed") });
  });

  it("propagates a missing base branch as the API's 404", async () => {
    github()
      .get(BRANCH_REF)
      .reply(404, fixture("error-not-found"))
      .get(`${REPO_PATH}/git/ref/heads%2Fdevelop`)
      .reply(404, fixture("error-not-found"));

    await expect(commitFiles(makeOctokit(), input({ baseBranch: "develop" }))).rejects.toMatchObject({ status: 404 });
  });
});

describe("commitFiles on an existing branch", () => {
  it("commits on top of the branch head and moves the ref without force", async () => {
    const trees = captureBodies();
    const commits = captureBodies();
    const updates = captureBodies();
    github()
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`, trees.match)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`, commits.match)
      .reply(201, commitBody(NEW_COMMIT, NEW_TREE, [HEAD_SHA]))
      .patch(BRANCH_PATCH, updates.match)
      .reply(200, refBody(BRANCH, NEW_COMMIT));

    const result = await commitFiles(makeOctokit(), input({ message: "Repair S3KeySizeSensor after CI (#42)" }));

    expect(result).toEqual({ commitSha: NEW_COMMIT, branch: BRANCH, created: true });
    expect(trees.bodies).toEqual([{ base_tree: HEAD_TREE, tree: expectedTree }]);
    expect(commits.bodies).toEqual([{ message: "Repair S3KeySizeSensor after CI (#42)", tree: NEW_TREE, parents: [HEAD_SHA] }]);
    expect(updates.bodies).toEqual([{ sha: NEW_COMMIT, force: false }]);
  });

  it("makes no new commit when re-run with the same files (tree unchanged)", async () => {
    github()
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(HEAD_TREE));

    const result = await commitFiles(makeOctokit(), input());

    expect(result).toEqual({ commitSha: HEAD_SHA, branch: BRANCH, created: false });
    expect(unmatchedRequests).toEqual([]);
  });

  it("propagates 422 'not a fast forward' when someone pushed meanwhile, keeping the status", async () => {
    github()
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(NEW_TREE))
      .post(`${REPO_PATH}/git/commits`)
      .reply(201, commitBody(NEW_COMMIT, NEW_TREE, [HEAD_SHA]))
      .patch(BRANCH_PATCH)
      .reply(422, fixture("error-not-fast-forward"));

    await expect(commitFiles(makeOctokit(), input())).rejects.toMatchObject({ status: 422, message: expect.stringContaining("not a fast forward") });
  });

  it("propagates a server error with its status so the job queue can retry", async () => {
    github()
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`)
      .reply(502, { message: "Server Error" });

    await expect(commitFiles(makeOctokit(), input())).rejects.toMatchObject({ status: 502 });
  });
});

describe("commitFiles path safety", () => {
  const refused: [string, string][] = [
    [".github/workflows/x.yml", "lies under .github/"],
    [".GitHub/workflows/x.yml", "lies under .github/"],
    ["../x", "'..' segment"],
    ["plugins/../../etc/passwd", "'..' segment"],
    ["/etc/passwd", "absolute"],
    ["C:/Windows/x.py", "absolute"],
    ["plugins\\sensors\\x.py", "backslash"],
    ["plugins//x.py", "empty segment"],
    ["plugins/sensors/", "empty segment"],
    ["plugins/./x.py", "'.' segment"],
    ["plugins/.git/config", "'.git' segment"],
    ["README.md", "outside the allowed paths (plugins/, tests/, dags/)"],
    ["pluginsx/evil.py", "outside the allowed paths"],
    ["", "empty"],
  ];

  it.each(refused)("refuses %j before any HTTP call (%s)", async (path, reason) => {
    const files = [FILES[0]!, { path, content: "x = 1\n" }];
    const attempt = commitFiles(makeOctokit(), input({ files }));
    await expect(attempt).rejects.toThrow(UnsafePathError);
    await expect(attempt).rejects.toThrow(`refusing to write ${JSON.stringify(path)}`);
    await expect(attempt).rejects.toThrow(reason);
    expect(unmatchedRequests).toEqual([]);
  });

  it("refuses .github/ even when allowedPaths names it", async () => {
    await expect(commitFiles(makeOctokit(), input({ allowedPaths: [".github/workflows"], files: [{ path: ".github/workflows/ci.yml", content: "on: push\n" }] }))).rejects.toThrow(
      'allowedPaths entry ".github/workflows" is invalid: opforge never writes under .github/',
    );
    expect(unmatchedRequests).toEqual([]);
  });

  it("refuses everything when allowedPaths is empty", async () => {
    await expect(commitFiles(makeOctokit(), input({ allowedPaths: [] }))).rejects.toThrow("outside the allowed paths (none configured)");
    expect(unmatchedRequests).toEqual([]);
  });

  it("accepts a path that is itself an allowed file", async () => {
    github()
      .get(BRANCH_REF)
      .reply(200, refBody(BRANCH, HEAD_SHA))
      .get(`${REPO_PATH}/git/commits/${HEAD_SHA}`)
      .reply(200, commitBody(HEAD_SHA, HEAD_TREE, [MAIN_SHA]))
      .post(`${REPO_PATH}/git/trees`)
      .reply(201, treeBody(HEAD_TREE));
    const result = await commitFiles(makeOctokit(), input({ allowedPaths: ["requirements.txt"], files: [{ path: "requirements.txt", content: "boto3\n" }] }));
    expect(result.created).toBe(false);
  });

  it.each([
    [{ branch: "main" }, 'branch "main" must differ from baseBranch'],
    [{ branch: "opforge/42 bad" }, 'branch "opforge/42 bad" is not a valid branch name'],
    [{ branch: "refs/heads/opforge/42-x" }, "must be a bare branch name"],
    [{ files: [] }, "files must list at least one file"],
    [{ files: [FILES[0]!, FILES[0]!] }, 'files[1].path "plugins/sensors/s3_key_size_sensor.py" is listed twice'],
    [{ message: " " }, "message must be a non-empty string"],
  ] as [Partial<CommitFilesInput>, string][])("rejects bad input %j before any HTTP call", async (overrides, message) => {
    await expect(commitFiles(makeOctokit(), input(overrides))).rejects.toThrow(message);
    expect(unmatchedRequests).toEqual([]);
  });
});
