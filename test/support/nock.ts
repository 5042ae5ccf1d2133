import nock from "nock";
import { afterEach, beforeEach, expect } from "vitest";

/** Requests that reached nock without a matching interceptor; a test asserting "no HTTP call" checks it stays empty. */
export const unmatchedRequests: string[] = [];
const recordUnmatched = (req: { method?: string; path?: string }) => unmatchedRequests.push(`${req.method} ${req.path}`);

/** Blocks real network access and fails any test that leaves an interceptor unused. */
export function useNock(): void {
  beforeEach(() => {
    nock.disableNetConnect();
    unmatchedRequests.length = 0;
    nock.emitter.on("no match", recordUnmatched);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", recordUnmatched);
    const pending = nock.pendingMocks();
    const done = nock.isDone();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending, "interceptors left unused").toEqual([]);
    expect(done).toBe(true);
  });
}
