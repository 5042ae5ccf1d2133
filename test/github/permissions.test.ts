import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { canTriggerRetry, getPermission } from "../../src/github/index.js";
import type { GitHubClient, RepoPermission } from "../../src/github/index.js";
import { REPO_PATH, fixture, github, makeOctokit, useNock } from "./helpers.js";

useNock();

const who = { owner: "octo-org", repo: "airflow-plugins", username: "octocat" };
const PERMISSION = `${REPO_PATH}/collaborators/octocat/permission`;

describe("getPermission", () => {
  it("reads role_name, which tells maintain apart from write", async () => {
    github().get(PERMISSION).reply(200, fixture("collaborator-permission"));
    expect(await getPermission(makeOctokit(), who)).toBe("maintain");
  });

  it("falls back to permission when role_name is a custom organization role", async () => {
    github()
      .get(PERMISSION)
      .reply(200, { ...fixture("collaborator-permission"), permission: "write", role_name: "security-engineer" });
    expect(await getPermission(makeOctokit(), who)).toBe("write");
  });

  it("falls back to permission when role_name is absent (older GHES)", async () => {
    const body = fixture("collaborator-permission");
    delete body.role_name;
    github()
      .get(PERMISSION)
      .reply(200, { ...body, permission: "read" });
    expect(await getPermission(makeOctokit(), who)).toBe("read");
  });

  it("answers none for a user GitHub does not know (404)", async () => {
    github().get(PERMISSION).reply(404, fixture("error-not-found"));
    expect(await getPermission(makeOctokit(), who)).toBe("none");
  });

  it("lets a server error through with its status", async () => {
    github().get(PERMISSION).reply(500, { message: "Server Error" });
    await expect(getPermission(makeOctokit(), who)).rejects.toMatchObject({ status: 500 });
  });

  it("works with Probot's own Octokit client", async () => {
    github().get(PERMISSION).reply(200, { ...fixture("collaborator-permission"), permission: "admin", role_name: "admin" });
    const probotClient: GitHubClient = new ProbotOctokit({
      auth: { token: "ghs_testinstallationtoken" },
      retry: { enabled: false },
      throttle: { enabled: false },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    expect(await getPermission(probotClient, who)).toBe("admin");
  });
});

describe("canTriggerRetry", () => {
  it.each([
    ["admin", true],
    ["maintain", true],
    ["write", true],
    ["triage", false],
    ["read", false],
    ["none", false],
  ] as [RepoPermission, boolean][])("%s → %s", (permission, allowed) => {
    expect(canTriggerRetry(permission)).toBe(allowed);
  });
});
