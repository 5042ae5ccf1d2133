import nock from "nock";
import { afterEach, beforeAll, expect } from "vitest";
import type { AppHarness } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

export const R = "/repos/Codertocat/Hello-World";
export const BRANCH = "opforge/7-health_check_operator";

/** nock hygiene shared by the app tests: no real network, no pending or unexpected request at the end. */
export function useNockChecks(current: () => AppHarness | undefined): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(async () => {
    const app = current();
    try {
      expect(app?.fake.unexpected ?? []).toEqual([]);
      expect(nock.pendingMocks()).toEqual([]);
    } finally {
      await app?.close();
      nock.cleanAll();
    }
  });
}

export function commentsOn(app: AppHarness, issueNumber: number) {
  return [...app.repo.comments.values()].filter((c) => c.issueNumber === issueNumber).sort((a, b) => a.id - b.id);
}

/** Issue #7 with the health check spec, labeled; the queue run to the end. Returns the PR and its head. */
export async function openHealthCheckPr(app: AppHarness, body = HEALTH_CHECK_ISSUE): Promise<{ prNumber: number; headSha: string }> {
  if (!app.repo.issues.has(7)) app.fake.addIssue(app.repo, { number: 7, body, labels: ["generate-operator"] });
  await app.receive("issues", issueLabeled({ issueNumber: 7, body }));
  await app.drain();
  const headSha = app.repo.refs.get(BRANCH);
  const pull = [...app.repo.pulls.values()].find((p) => p.head === BRANCH);
  if (headSha === undefined || pull === undefined) throw new Error("no PR was opened for issue #7");
  return { prNumber: pull.number, headSha };
}
