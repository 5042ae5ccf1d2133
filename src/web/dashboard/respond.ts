/** How the dashboard answers: HTML pages under a strict content security policy, and JSON. */
import type { ServerResponse } from "node:http";
import { send } from "../http.js";

export function json(res: ServerResponse, status: number, body: unknown): true {
  return send(res, status, "application/json", `${JSON.stringify(body)}\n`);
}

export function html(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): true {
  // Scripts only from the dashboard itself: an injected inline script would not run even if escaping failed.
  return send(res, status, "text/html; charset=utf-8", body, {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    ...headers,
  });
}
