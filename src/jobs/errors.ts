import { redact } from "../config/redact.js";
/**
 * Deciding whether a failed job is worth retrying. Errors are read by shape rather than class, so Octokit's
 * RequestError (`status`, `response.headers`), the Anthropic SDK's APIError (`status`, `headers: Headers`)
 * and Node/undici network errors (`code`, `cause`) are all recognised without importing those packages.
 */

/** Throw from a handler to mark a failure that retrying cannot fix (bad spec, missing permission). */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}

/** Throw from a handler to ask for a retry whatever the underlying error looks like. */
export class TransientJobError extends Error {
  override readonly name = "TransientJobError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

const transientNames = new Set(["APIConnectionError", "APIConnectionTimeoutError", "TimeoutError"]);

type Fields = Record<string, unknown>;

function asFields(value: unknown): Fields | null {
  return value !== null && typeof value === "object" ? (value as Fields) : null;
}

function statusOf(err: Fields): number | undefined {
  for (const candidate of [err.status, err.statusCode, asFields(err.response)?.status]) {
    if (typeof candidate === "number") return candidate;
    if (typeof candidate === "string" && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  return undefined;
}

/** A header from `err.headers` (a Headers object or a plain record) or `err.response.headers`. */
function headerOf(err: Fields, name: string): string | undefined {
  for (const headers of [err.headers, asFields(err.response)?.headers]) {
    const h = asFields(headers);
    if (h === null) continue;
    if (typeof h.get === "function") {
      const v = (h.get as (n: string) => string | null).call(h, name);
      if (v !== null && v !== undefined) return v;
      continue;
    }
    for (const [key, value] of Object.entries(h)) {
      if (key.toLowerCase() === name) {
        if (typeof value === "string") return value;
        if (typeof value === "number") return String(value);
      }
    }
  }
  return undefined;
}

function causes(err: unknown): Fields[] {
  const chain: Fields[] = [];
  let current: unknown = err;
  while (chain.length < 6) {
    const fields = asFields(current);
    if (fields === null || chain.includes(fields)) break;
    chain.push(fields);
    current = fields.cause;
  }
  return chain;
}

function isRateLimited403(err: Fields): boolean {
  const message = typeof err.message === "string" ? err.message : "";
  return /secondary rate limit|rate limit exceeded|abuse detection/i.test(message) || headerOf(err, "x-ratelimit-remaining") === "0";
}

function isTransientOne(err: Fields): boolean | undefined {
  if (err instanceof PermanentJobError) return false;
  if (err instanceof TransientJobError) return true;
  const status = statusOf(err);
  if (status !== undefined) {
    if (status === 408 || status === 429 || status >= 500) return true;
    if (status === 403 && isRateLimited403(err)) return true;
    // Any other HTTP answer is the server's considered reply; retrying it would get the same.
    return false;
  }
  if (typeof err.code === "string" && networkCodes.has(err.code)) return true;
  if (typeof err.name === "string" && transientNames.has(err.name)) return true;
  const message = typeof err.message === "string" ? err.message : "";
  if (/fetch failed|socket hang up|network error|other side closed/i.test(message)) return true;
  return undefined;
}

/**
 * True for failures that may pass on a later try: HTTP 408/429/5xx (including Anthropic's 529 overloaded),
 * GitHub's primary and secondary rate limits (403), and network errors, looked for along the `cause` chain.
 */
export function isTransientError(err: unknown): boolean {
  for (const e of causes(err)) {
    const verdict = isTransientOne(e);
    if (verdict !== undefined) return verdict;
  }
  return false;
}

/**
 * How long the server asked us to wait, in ms from `now`: `retry-after-ms`, `retry-after` (seconds or an
 * HTTP date), or GitHub's `x-ratelimit-reset` (epoch seconds) when the remaining quota is 0.
 */
export function retryAfterMs(err: unknown, now: number): number | undefined {
  for (const e of causes(err)) {
    if (e instanceof TransientJobError && e.retryAfterMs !== undefined) return Math.max(0, e.retryAfterMs);
    const ms = headerOf(e, "retry-after-ms");
    if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Math.round(Number(ms)));
    const after = headerOf(e, "retry-after");
    if (after !== undefined) {
      if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Math.max(0, Math.round(Number(after) * 1000));
      const date = Date.parse(after);
      if (!Number.isNaN(date)) return Math.max(0, date - now);
    }
    const reset = headerOf(e, "x-ratelimit-reset");
    if (reset !== undefined && headerOf(e, "x-ratelimit-remaining") === "0" && /^\d+$/.test(reset)) {
      return Math.max(0, Number(reset) * 1000 - now);
    }
  }
  return undefined;
}

/** The text kept in `jobs.last_error`: name, message, HTTP status when there is one, and the stack's top. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return redact(typeof err === "string" ? err : safeJson(err));
  const status = statusOf(err as unknown as Fields);
  const head = `${err.name}: ${err.message}${status !== undefined ? ` (HTTP ${status})` : ""}`;
  const stack = err.stack?.split("\n").slice(1, 8).join("\n");
  return redact((stack ? `${head}\n${stack}` : head).slice(0, 4000));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
