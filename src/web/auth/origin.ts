/** The dashboard's own origin, and whether a request was sent from it (the CSRF Origin check). */
import type { IncomingMessage } from "node:http";

/** The configured public URL's origin, else what the request (and a TLS-terminating proxy) says. */
export function originOf(req: IncomingMessage, publicUrl: URL | undefined): string {
  if (publicUrl !== undefined) return publicUrl.origin;
  const forwarded = req.headers["x-forwarded-proto"];
  const https = (typeof forwarded === "string" && forwarded.split(",")[0]?.trim() === "https") || ("encrypted" in req.socket && req.socket.encrypted === true);
  return `${https ? "https" : "http"}://${req.headers.host ?? "localhost"}`;
}

function safeOrigin(value: string): string | undefined {
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

/** A POST from a page of another site carries its own Origin (or Referer); one with neither is refused too. */
export function fromOwnOrigin(req: IncomingMessage, publicUrl: URL | undefined): boolean {
  const given = req.headers.origin ?? (typeof req.headers.referer === "string" ? safeOrigin(req.headers.referer) : undefined);
  return given !== undefined && given === originOf(req, publicUrl);
}
