import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { redactDeep } from "../config/redact.js";
import { checkWebhookPayload } from "../handlers/payloads.js";

/** GitHub caps webhook payloads at 25 MB; nothing larger is ever a real delivery. */
export const GITHUB_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

export interface WebhookEndpointOptions {
  secret: string;
  /** Hands a verified, parsed delivery to the handlers (Probot's `receive`). */
  receive: (event: { id: string; name: string; payload: unknown }) => Promise<unknown>;
  path?: string;
  /** Bodies above this are refused before they are read; at most GitHub's 25 MB. */
  maxBytes?: number;
  /** GitHub waits 10 s: a delivery still being handled after this is answered 202. */
  answerWithinMs?: number;
  /** Called once per delivery whose signature and payload passed, before the handlers run (the webhook counter). */
  onVerified?: (event: string) => void;
  log?: { error(obj: Record<string, unknown>, msg?: string): void; warn(obj: Record<string, unknown>, msg?: string): void };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, error: string | null, close = false): void {
  if (res.headersSent) return;
  const body = error === null ? (status === 200 ? "ok\n" : "still processing\n") : `${JSON.stringify({ error })}\n`;
  res.writeHead(status, {
    "content-type": error === null ? "text/plain" : "application/json",
    "content-length": Buffer.byteLength(body).toString(),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(body);
}

/**
 * The webhook endpoint, in front of Probot's: the body is refused past the size limit (by its
 * Content-Length before a byte is read, else as soon as the stream passes it), its HMAC is computed while
 * it streams in, and only a signed JSON object that carries what its handler reads reaches the handlers.
 * Every refusal is a short reason; internals (stack traces, TypeError texts) never reach the response.
 */
export function webhookEndpoint(options: WebhookEndpointOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const maxBytes = Math.min(options.maxBytes ?? GITHUB_MAX_PAYLOAD_BYTES, GITHUB_MAX_PAYLOAD_BYTES);
  const answerWithinMs = options.answerWithinMs ?? 9_000;

  return async (req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "") || "/";
    } catch {
      return false;
    }
    if (pathname !== path.replace(/\/+$/, "") || req.method !== "POST") return false;

    const refuse = (status: number, reason: string): true => {
      answer(res, status, reason, true);
      // The rest of an oversized or unwanted body is discarded as it arrives, never buffered; the
      // connection is cut shortly after the answer is out, so a sender that keeps going gains nothing.
      req.removeAllListeners("data");
      req.resume();
      res.once("finish", () => setTimeout(() => req.destroy(), 1_000).unref());
      return true;
    };
    const declared = Number(header(req, "content-length"));
    if (Number.isFinite(declared) && declared > maxBytes) return refuse(413, `payload larger than ${maxBytes} bytes`);
    const contentType = header(req, "content-type") ?? "";
    if (!/^\s*application\/json\s*(?:;|$)/i.test(contentType)) return refuse(415, 'Content-Type must be "application/json"');
    const name = header(req, "x-github-event");
    const id = header(req, "x-github-delivery");
    const signature = header(req, "x-hub-signature-256");
    const missing = [name === undefined ? "x-github-event" : "", signature === undefined ? "x-hub-signature-256" : "", id === undefined ? "x-github-delivery" : ""].filter((h) => h !== "");
    if (missing.length > 0 || name === undefined || id === undefined || signature === undefined) {
      return refuse(400, `required headers missing: ${missing.join(", ")}`);
    }
    if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) return refuse(400, "signature does not match event payload and secret");

    const hmac = createHmac("sha256", options.secret);
    const chunks: Buffer[] = [];
    let size = 0;
    const body = await new Promise<Buffer | "too-large" | "aborted">((resolve) => {
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          chunks.length = 0;
          req.removeAllListeners("data");
          resolve("too-large");
          return;
        }
        hmac.update(chunk);
        chunks.push(chunk);
      });
      req.once("end", () => resolve(Buffer.concat(chunks, size)));
      req.once("error", () => resolve("aborted"));
      req.once("close", () => resolve(req.complete ? Buffer.concat(chunks, size) : "aborted"));
    });
    if (body === "too-large") return refuse(413, `payload larger than ${maxBytes} bytes`);
    if (body === "aborted") {
      req.destroy();
      return true;
    }
    const expected = Buffer.from(`sha256=${hmac.digest("hex")}`);
    const given = Buffer.from(signature.toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(400, "signature does not match event payload and secret");
    }

    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return refuse(400, "the payload is not valid JSON");
    }
    const checked = checkWebhookPayload(name, payload);
    if (!checked.ok) return refuse(400, checked.reason);
    options.onVerified?.(name);

    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), answerWithinMs);
    });
    try {
      const outcome = await Promise.race([options.receive({ id, name, payload }).then(() => "done" as const), late]);
      answer(res, outcome === "late" ? 202 : 200, null);
    } catch (error) {
      options.log?.error({ err: redactDeep(error), delivery: id, event: name }, "webhook handler failed");
      answer(res, 500, "the delivery could not be handled; see the app's log");
    } finally {
      clearTimeout(timer);
    }
    return true;
  };
}
