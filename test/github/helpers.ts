import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Octokit } from "@octokit/rest";
import nock from "nock";

export const API = "https://api.github.com";
export const OWNER = "octo-org";
export const REPO = "airflow-plugins";
export const REPO_PATH = `/repos/${OWNER}/${REPO}`;

const fixtureDir = fileURLToPath(new URL("../fixtures/github/", import.meta.url));

/** A fresh copy of a recorded-shape GitHub response body from test/fixtures/github. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(`${fixtureDir}${name}.json`, "utf8")) as T;
}

/** A fixture with some top-level fields replaced (the test names what it changed). */
export function patched(name: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...fixture(name), ...fields };
}

export function refBody(branch: string, sha: string): Record<string, unknown> {
  return {
    ...fixture("git-ref"),
    ref: `refs/heads/${branch}`,
    url: `${API}${REPO_PATH}/git/refs/heads/${branch}`,
    object: { type: "commit", sha, url: `${API}${REPO_PATH}/git/commits/${sha}` },
  };
}

export function commitBody(sha: string, treeSha: string, parents: string[], message = "Add S3 sensor"): Record<string, unknown> {
  return {
    ...fixture("git-commit"),
    sha,
    url: `${API}${REPO_PATH}/git/commits/${sha}`,
    html_url: `https://github.com/${OWNER}/${REPO}/commit/${sha}`,
    message,
    tree: { sha: treeSha, url: `${API}${REPO_PATH}/git/trees/${treeSha}` },
    parents: parents.map((parent) => ({
      sha: parent,
      url: `${API}${REPO_PATH}/git/commits/${parent}`,
      html_url: `https://github.com/${OWNER}/${REPO}/commit/${parent}`,
    })),
  };
}

export function treeBody(sha: string): Record<string, unknown> {
  return { ...fixture("git-tree"), sha, url: `${API}${REPO_PATH}/git/trees/${sha}` };
}

export function commentBody(id: number, body: string, user: { login: string; type: string } = { login: "opforge[bot]", type: "Bot" }): Record<string, unknown> {
  const base = fixture("issue-comment");
  return {
    ...base,
    id,
    body,
    url: `${API}${REPO_PATH}/issues/comments/${id}`,
    html_url: `https://github.com/${OWNER}/${REPO}/issues/42#issuecomment-${id}`,
    user: { ...(base.user as Record<string, unknown>), ...user },
  };
}

const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function makeOctokit(): Octokit {
  return new Octokit({ auth: "ghs_testinstallationtoken", request: { retries: 0 }, log: silentLog });
}

export { unmatchedRequests, useNock } from "../support/nock.js";

/** Interceptor scope for the repository under test; every body sent is checked by the test that set it up. */
export function github(): nock.Scope {
  return nock(API);
}

/** A nock body matcher that accepts any body and keeps it, so the test can assert exactly what was sent. */
export function captureBodies(): { bodies: unknown[]; match: (body: unknown) => boolean } {
  const bodies: unknown[] = [];
  return { bodies, match: (body) => (bodies.push(body), true) };
}
