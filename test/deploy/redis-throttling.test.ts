/**
 * REDIS_URL, as docker-compose.yml sets it, makes Probot share its GitHub throttling state through Redis.
 * Probot 14 loads `ioredis` by name only when REDIS_URL is set, and does not depend on it: without ioredis in
 * opforge's own dependencies every authenticated Octokit would fail to build. Checked here against the real
 * Redis that .ci/run starts.
 */
import { Redis } from "ioredis";
import nock from "nock";
import { createProbot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appPrivateKey } from "../support/app-harness.js";

/**
 * Bottleneck names its keys after fixed limiter ids, so keys of an earlier run look the same as this run's:
 * the test works in a numbered Redis database of its own, emptied first, to see the keys this run writes.
 */
const redisUrl = (() => {
  const url = new URL(process.env.REDIS_URL?.trim() || "redis://127.0.0.1:6379");
  url.pathname = `/${1 + (process.pid % 15)}`;
  return url.toString();
})();

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function redis<T>(use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Redis at ${redisUrl} is needed for this test and does not answer (${(err as Error).message}); run the suite through \`bash .ci/run\`, which starts it`,
      { cause: err },
    );
  }
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

describe("Probot with REDIS_URL", () => {
  it("builds an authenticated Octokit whose requests are throttled through Redis", async () => {
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    await redis((c) => c.flushdb());
    const probot = createProbot({
      env: { APP_ID: "1", PRIVATE_KEY: appPrivateKey(), WEBHOOK_SECRET: "s", REDIS_URL: redisUrl, LOG_LEVEL: "silent" },
    });
    const scope = nock("https://api.github.com").get("/app").reply(200, { id: 1, slug: "opforge" });
    const octokit = await probot.auth();
    const { data } = await octokit.request("GET /app");
    expect(data).toMatchObject({ slug: "opforge" });
    expect(scope.isDone()).toBe(true);
    // Bottleneck's clustered limiter keeps its state in keys named b_<limiter id>_...
    const keys = await redis((c) => c.keys("b_*"));
    expect(keys.length).toBeGreaterThan(0);
    await redis((c) => c.flushdb());
  });
});
