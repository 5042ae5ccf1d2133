import { describe, expect, it } from "vitest";
import { addReaction, commentMarker, createComment, upsertComment, withMarker } from "../../src/github/index.js";
import { REPO_PATH, captureBodies, commentBody, fixture, github, makeOctokit, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const COMMENTS = `${REPO_PATH}/issues/42/comments`;
const PAGE_TWO = "/repositories/1296269/issues/42/comments";
const LINK_TO_PAGE_TWO = [
  '<https://api.github.com/repositories/1296269/issues/42/comments?per_page=100&page=2>; rel="next"',
  '<https://api.github.com/repositories/1296269/issues/42/comments?per_page=100&page=2>; rel="last"',
].join(", ");
const HUMAN = { login: "octocat", type: "User" };
const base = { owner: "octo-org", repo: "airflow-plugins", issueNumber: 42 };

function humanChatter(count: number, firstId: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => commentBody(firstId + index, `comment ${index}`, HUMAN));
}

describe("comment markers", () => {
  it("hides the marker in an HTML comment on the first line", () => {
    expect(commentMarker("status")).toBe("<!-- opforge:status -->");
    expect(withMarker("status", "Working…")).toBe("<!-- opforge:status -->\nWorking…");
    expect(withMarker("status", "Done\n<!-- opforge:status -->")).toBe("Done\n<!-- opforge:status -->");
  });

  it.each(["", "a b", "x-->", "-lead", "a".repeat(101)])("rejects marker %j", (marker) => {
    expect(() => commentMarker(marker)).toThrow(`marker ${JSON.stringify(marker)} must be`);
  });
});

describe("upsertComment", () => {
  it("edits the given comment in place", async () => {
    const edits = captureBodies();
    github()
      .patch(`${REPO_PATH}/issues/comments/2481234001`, edits.match)
      .reply(200, commentBody(2481234001, "<!-- opforge:status -->\nPR opened: #57"));

    const result = await upsertComment(makeOctokit(), { ...base, commentId: 2481234001, marker: "status", body: "PR opened: #57" });

    expect(result).toEqual({ id: 2481234001, created: false });
    expect(edits.bodies).toEqual([{ body: "<!-- opforge:status -->\nPR opened: #57" }]);
  });

  it("finds its marked comment on a later page when the stored comment was deleted", async () => {
    const edits = captureBodies();
    github()
      .patch(`${REPO_PATH}/issues/comments/2481230000`)
      .reply(404, fixture("error-not-found"))
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, humanChatter(100, 2481100000), { link: LINK_TO_PAGE_TWO })
      .get(PAGE_TWO)
      .query({ per_page: "100", page: "2" })
      .reply(200, [commentBody(2481234001, "<!-- opforge:status -->\nGenerating…"), ...humanChatter(3, 2481300000)])
      .patch(`${REPO_PATH}/issues/comments/2481234001`, edits.match)
      .reply(200, commentBody(2481234001, "<!-- opforge:status -->\nValidating…"));

    const result = await upsertComment(makeOctokit(), { ...base, commentId: 2481230000, marker: "status", body: "Validating…" });

    expect(result).toEqual({ id: 2481234001, created: false });
    expect(edits.bodies).toEqual([{ body: "<!-- opforge:status -->\nValidating…" }]);
  });

  it("creates the comment when no bot comment carries the marker", async () => {
    const posts = captureBodies();
    github()
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [
        // A person quoting the marker must not make opforge edit their comment.
        commentBody(2481200001, "> <!-- opforge:status -->\n> copied", HUMAN),
        commentBody(2481200002, "<!-- opforge:status-2 -->\nother marker"),
      ])
      .post(COMMENTS, posts.match)
      .reply(201, commentBody(2481234099, "<!-- opforge:status -->\nGenerating…"));

    const result = await upsertComment(makeOctokit(), { ...base, marker: "status", body: "Generating…" });

    expect(result).toEqual({ id: 2481234099, created: true });
    expect(posts.bodies).toEqual([{ body: "<!-- opforge:status -->\nGenerating…" }]);
  });

  it("matches only the given bot login when one is passed", async () => {
    github()
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [
        commentBody(2481200003, "<!-- opforge:status -->\nfrom another app", { login: "other-app[bot]", type: "Bot" }),
        commentBody(2481234001, "<!-- opforge:status -->\nGenerating…"),
      ])
      .patch(`${REPO_PATH}/issues/comments/2481234001`)
      .reply(200, commentBody(2481234001, "<!-- opforge:status -->\nDone"));

    const result = await upsertComment(makeOctokit(), { ...base, marker: "status", body: "Done", botLogin: "opforge[bot]" });

    expect(result).toEqual({ id: 2481234001, created: false });
  });

  it("sends no edit when the marked comment already says the same", async () => {
    github()
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [commentBody(2481234001, "<!-- opforge:status -->\nDone")]);

    const result = await upsertComment(makeOctokit(), { ...base, marker: "status", body: "Done" });

    expect(result).toEqual({ id: 2481234001, created: false });
    expect(unmatchedRequests).toEqual([]);
  });

  it("lets a 403 on edit through with its status", async () => {
    github()
      .patch(`${REPO_PATH}/issues/comments/2481234001`)
      .reply(403, fixture("error-secondary-rate-limit"));

    await expect(upsertComment(makeOctokit(), { ...base, commentId: 2481234001, marker: "status", body: "x" })).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining("secondary rate limit"),
    });
  });

  it("rejects a bad marker or issue number before any HTTP call", async () => {
    await expect(upsertComment(makeOctokit(), { ...base, marker: "status -->", body: "x" })).rejects.toThrow("marker");
    await expect(upsertComment(makeOctokit(), { ...base, issueNumber: 0, marker: "status", body: "x" })).rejects.toThrow(
      "issueNumber must be a positive integer",
    );
    expect(unmatchedRequests).toEqual([]);
  });
});

describe("createComment", () => {
  it("posts a one-off comment with its marker", async () => {
    const posts = captureBodies();
    github()
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(COMMENTS, posts.match)
      .reply(201, commentBody(2481234100, "<!-- opforge:retry-answer-2481234050 -->\nRetrying."));

    const result = await createComment(makeOctokit(), { ...base, marker: "retry-answer-2481234050", body: "Retrying." });

    expect(result).toEqual({ id: 2481234100, created: true });
    expect(posts.bodies).toEqual([{ body: "<!-- opforge:retry-answer-2481234050 -->\nRetrying." }]);
  });

  it("does not post again on a re-run and leaves the existing comment untouched", async () => {
    github()
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [commentBody(2481234100, "<!-- opforge:retry-answer-2481234050 -->\nRetrying.")]);

    const result = await createComment(makeOctokit(), { ...base, marker: "retry-answer-2481234050", body: "Retrying (again)." });

    expect(result).toEqual({ id: 2481234100, created: false });
    expect(unmatchedRequests).toEqual([]);
  });
});

describe("addReaction", () => {
  it("reacts to an issue comment", async () => {
    const posts = captureBodies();
    github()
      .post(`${REPO_PATH}/issues/comments/2481234050/reactions`, posts.match)
      .reply(201, fixture("reaction"));

    const result = await addReaction(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", commentId: 2481234050, content: "eyes" });

    expect(result).toEqual({ id: 301234567 });
    expect(posts.bodies).toEqual([{ content: "eyes" }]);
  });

  it("accepts GitHub's 200 for a reaction that already exists", async () => {
    github()
      .post(`${REPO_PATH}/issues/comments/2481234050/reactions`)
      .reply(200, { ...fixture("reaction"), content: "rocket" });

    const result = await addReaction(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", commentId: 2481234050, content: "rocket" });

    expect(result).toEqual({ id: 301234567 });
  });

  it("rejects an unknown reaction before any HTTP call", async () => {
    const content = "heart" as "eyes";
    await expect(addReaction(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", commentId: 1, content })).rejects.toThrow(
      'content "heart" must be one of +1, eyes, rocket, confused',
    );
    expect(unmatchedRequests).toEqual([]);
  });
});
