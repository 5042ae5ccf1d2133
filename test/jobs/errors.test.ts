import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { describeError, isTransientError, PermanentJobError, retryAfterMs, TransientJobError } from "../../src/jobs/errors.js";
import { useNock } from "../support/nock.js";

// Errors come from the real clients answering real wire responses, so the classifier is tested against
// the shapes Octokit and the Anthropic SDK actually throw.
useNock();

const NOW = Date.UTC(2026, 10, 25, 1, 0, 0);

async function githubError(status: number, body: object, headers: Record<string, string> = {}): Promise<unknown> {
  nock("https://api.github.com").get("/repos/acme/pipelines").reply(status, body, headers);
  const quiet = () => undefined;
  const octokit = new Octokit({ auth: "ghs_test", log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
  try {
    await octokit.rest.repos.get({ owner: "acme", repo: "pipelines" });
  } catch (err) {
    return err;
  }
  throw new Error("expected the request to fail");
}

async function anthropicError(status: number, type: string, headers: Record<string, string> = {}): Promise<unknown> {
  nock("https://api.anthropic.test")
    .post("/v1/messages")
    .reply(status, { type: "error", error: { type, message: `${type} happened` } }, headers);
  const client = new Anthropic({ apiKey: "sk-test", baseURL: "https://api.anthropic.test", maxRetries: 0 });
  try {
    await client.messages.create({ model: "claude-sonnet-5-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
  } catch (err) {
    return err;
  }
  throw new Error("expected the request to fail");
}

describe("GitHub errors (Octokit RequestError)", () => {
  it("a secondary rate limit (403) is transient and its retry-after is honoured", async () => {
    const err = await githubError(
      403,
      {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
      },
      { "retry-after": "60" },
    );
    expect(isTransientError(err)).toBe(true);
    expect(retryAfterMs(err, NOW)).toBe(60_000);
  });

  it("an exhausted primary rate limit waits until x-ratelimit-reset", async () => {
    const reset = Math.floor(NOW / 1000) + 900;
    const err = await githubError(
      403,
      { message: "API rate limit exceeded for installation ID 123." },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
    expect(isTransientError(err)).toBe(true);
    expect(retryAfterMs(err, NOW)).toBe(900_000);
  });

  it("a 5xx is transient; a missing permission, a 404 and a 422 are not", async () => {
    expect(isTransientError(await githubError(502, { message: "Server Error" }))).toBe(true);
    expect(isTransientError(await githubError(403, { message: "Resource not accessible by integration" }))).toBe(false);
    expect(isTransientError(await githubError(404, { message: "Not Found" }))).toBe(false);
    const unprocessable = await githubError(422, { message: "Reference already exists" });
    expect(isTransientError(unprocessable)).toBe(false);
    expect(retryAfterMs(unprocessable, NOW)).toBeUndefined();
    expect(describeError(unprocessable)).toMatch(/^HttpError: Reference already exists.* \(HTTP 422\)/);
  });
});

describe("Anthropic errors (APIError)", () => {
  it("529 overloaded and 429 are transient with the server's wait", async () => {
    const overloaded = await anthropicError(529, "overloaded_error", { "retry-after": "3" });
    expect(isTransientError(overloaded)).toBe(true);
    expect(retryAfterMs(overloaded, NOW)).toBe(3_000);
    const limited = await anthropicError(429, "rate_limit_error", { "retry-after-ms": "1500" });
    expect(isTransientError(limited)).toBe(true);
    expect(retryAfterMs(limited, NOW)).toBe(1_500);
  });

  it("a bad request or a bad key is permanent", async () => {
    expect(isTransientError(await anthropicError(400, "invalid_request_error"))).toBe(false);
    expect(isTransientError(await anthropicError(401, "authentication_error"))).toBe(false);
  });

  it("a dropped connection is transient", async () => {
    nock("https://api.anthropic.test").post("/v1/messages").replyWithError({ code: "ECONNRESET", message: "socket hang up" });
    const client = new Anthropic({ apiKey: "sk-test", baseURL: "https://api.anthropic.test", maxRetries: 0 });
    const err = await client.messages
      .create({ model: "claude-sonnet-5-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe("APIConnectionError");
    expect(isTransientError(err)).toBe(true);
  });
});

describe("network and plain errors", () => {
  it("fetch failures are transient through their cause", async () => {
    // A real refused connection: nock would hand back its own error instead of undici's wrapper.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.enableNetConnect("127.0.0.1");
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    nock.disableNetConnect();
    expect((err as Error).message).toBe("fetch failed");
    expect(((err as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(isTransientError(err)).toBe(true);
  });

  it("codes, explicit markers and everything else", () => {
    expect(isTransientError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransientError(Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" }))).toBe(true);
    expect(isTransientError(new Error("spec has no name"))).toBe(false);
    expect(isTransientError(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isTransientError("a string")).toBe(false);
    expect(isTransientError(null)).toBe(false);
    expect(isTransientError(new PermanentJobError("no", { cause: Object.assign(new Error("x"), { code: "ECONNRESET" }) }))).toBe(false);
    const marked = new TransientJobError("CI not finished yet", 30_000);
    expect(isTransientError(marked)).toBe(true);
    expect(retryAfterMs(marked, NOW)).toBe(30_000);
  });

  it("reads retry-after given as an HTTP date", () => {
    const err = Object.assign(new Error("slow down"), {
      status: 503,
      headers: { "Retry-After": new Date(NOW + 120_000).toUTCString() },
    });
    expect(retryAfterMs(err, NOW)).toBe(120_000);
  });
});
