import { describe, expect, it } from "vitest";
import { addLabels, ensureLabel, removeLabel } from "../../src/github/index.js";
import { REPO_PATH, captureBodies, fixture, github, makeOctokit, patched, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const issue = { owner: "octo-org", repo: "airflow-plugins", issueNumber: 42 };

describe("addLabels", () => {
  it("adds labels and returns every label now on the issue", async () => {
    const posts = captureBodies();
    github()
      .post(`${REPO_PATH}/issues/42/labels`, posts.match)
      .reply(200, [fixture("label"), patched("label", { id: 208045947, name: "opforge:pr-open", color: "1d76db" })]);

    const labels = await addLabels(makeOctokit(), { ...issue, labels: ["opforge:pr-open"] });

    expect(labels).toEqual(["opforge", "opforge:pr-open"]);
    expect(posts.bodies).toEqual([{ labels: ["opforge:pr-open"] }]);
  });

  it("rejects an empty list before any HTTP call", async () => {
    await expect(addLabels(makeOctokit(), { ...issue, labels: [] })).rejects.toThrow("labels must list at least one label");
    await expect(addLabels(makeOctokit(), { ...issue, labels: ["ok", " "] })).rejects.toThrow("labels[1] must be a non-empty string");
    expect(unmatchedRequests).toEqual([]);
  });
});

describe("removeLabel", () => {
  it("removes the label, encoding its name in the path", async () => {
    github()
      .delete(`${REPO_PATH}/issues/42/labels/opforge%3Agenerating`)
      .reply(200, [fixture("label")]);

    expect(await removeLabel(makeOctokit(), { ...issue, name: "opforge:generating" })).toEqual({ removed: true });
  });

  it("treats a label that is not on the issue (404) as done", async () => {
    github()
      .delete(`${REPO_PATH}/issues/42/labels/opforge%3Agenerating`)
      .reply(404, { message: "Label does not exist", documentation_url: "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue", status: "404" });

    expect(await removeLabel(makeOctokit(), { ...issue, name: "opforge:generating" })).toEqual({ removed: false });
  });

  it("lets a server error through with its status", async () => {
    github().delete(`${REPO_PATH}/issues/42/labels/opforge`).reply(503, { message: "Service Unavailable" });

    await expect(removeLabel(makeOctokit(), { ...issue, name: "opforge" })).rejects.toMatchObject({ status: 503 });
  });
});

describe("ensureLabel", () => {
  const label = { owner: "octo-org", repo: "airflow-plugins", name: "opforge", color: "#0E8A16", description: "Generate an Airflow component from this spec" };

  it("creates a missing label, sending the color without '#'", async () => {
    const posts = captureBodies();
    github().post(`${REPO_PATH}/labels`, posts.match).reply(201, fixture("label"));

    expect(await ensureLabel(makeOctokit(), label)).toEqual({ created: true });
    expect(posts.bodies).toEqual([{ name: "opforge", color: "0e8a16", description: "Generate an Airflow component from this spec" }]);
  });

  it("treats 422 already_exists as done", async () => {
    github().post(`${REPO_PATH}/labels`).reply(422, fixture("error-label-exists"));

    expect(await ensureLabel(makeOctokit(), label)).toEqual({ created: false });
  });

  it("lets other validation failures through", async () => {
    github()
      .post(`${REPO_PATH}/labels`)
      .reply(422, {
        message: "Validation Failed",
        errors: [{ resource: "Label", code: "invalid", field: "color" }],
        documentation_url: "https://docs.github.com/rest/issues/labels#create-a-label",
        status: "422",
      });

    await expect(ensureLabel(makeOctokit(), label)).rejects.toMatchObject({ status: 422 });
  });

  it.each([
    [{ color: "green" }, 'color "green" must be six hex digits'],
    [{ name: "x".repeat(51) }, "longer than GitHub's 50 characters"],
    [{ description: "d".repeat(101) }, "description must be a string of at most 100 characters"],
  ])("rejects %j before any HTTP call", async (overrides, message) => {
    await expect(ensureLabel(makeOctokit(), { ...label, ...overrides })).rejects.toThrow(message);
    expect(unmatchedRequests).toEqual([]);
  });
});
