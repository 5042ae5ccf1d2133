import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { countJobs } from "../jobs/queue.js";
import { collectStats, collectStatsPerInstallation } from "../learn/metrics/index.js";
import type { Database } from "../store/database.js";
import { renderMetricsPage } from "./metrics-page.js";

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
  res.end(body);
  return true;
}

export interface WebRouteOptions {
  /** The bearer token `/metrics` and `/metrics.json` answer to; without one they are off (404). */
  metricsToken?: string;
}

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/**
 * Whether the request carries `Authorization: Bearer <token>`. Both sides are hashed to the same length and compared
 * in constant time, so neither the token's content nor its length shows in the response time. The peer address plays
 * no part: behind a reverse proxy on the same host every request comes from loopback.
 */
export function hasBearerToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  const given = match?.[1] ?? "";
  const equal = timingSafeEqual(digest(given), digest(token));
  return match !== null && equal;
}

/**
 * `/healthz` for the container's health check; `/metrics` (HTML) and `/metrics.json` for the learning curve, only to a
 * request carrying the configured bearer token (401 with `WWW-Authenticate: Bearer` otherwise, 404 when none is set).
 * The figures are per installation: every installation apart (`{ weeks, installations: [report…] }`), or one with
 * `?installation=ID`; no figure adds up several installations.
 */
export function webRoutes(db: Database, now: () => number, options: WebRouteOptions = {}): Route {
  const token = options.metricsToken === undefined || options.metricsToken.trim() === "" ? undefined : options.metricsToken.trim();
  return (req, res) => {
    if (req.method !== "GET" || req.url === undefined) return false;
    const url = new URL(req.url, "http://opforge.invalid");
    if (url.pathname === "/healthz") return send(res, 200, "application/json", JSON.stringify({ status: "ok", jobs: countJobs(db) }));
    if (url.pathname !== "/metrics" && url.pathname !== "/metrics.json") return false;
    if (token === undefined) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    if (!hasBearerToken(req, token)) {
      return send(res, 401, "text/plain; charset=utf-8", "a bearer token is required\n", { "www-authenticate": 'Bearer realm="opforge metrics"' });
    }
    const weeksParam = url.searchParams.get("weeks") ?? "12";
    const weeks = Number(weeksParam);
    if (!/^\d+$/.test(weeksParam) || weeks < 1 || weeks > 520) {
      return send(res, 400, "text/plain; charset=utf-8", `weeks must be a whole number from 1 to 520, got "${weeksParam}"\n`);
    }
    const installationParam = url.searchParams.get("installation");
    if (installationParam !== null && !/^\d{1,15}$/.test(installationParam)) {
      return send(res, 400, "text/plain; charset=utf-8", `installation must be an installation id (a whole number), got "${installationParam}"\n`);
    }
    if (installationParam !== null) {
      const report = collectStats(db, Number(installationParam), { now: now(), weeks });
      return url.pathname === "/metrics.json"
        ? send(res, 200, "application/json", JSON.stringify(report))
        : send(res, 200, "text/html; charset=utf-8", renderMetricsPage(weeks, [report]));
    }
    const reports = collectStatsPerInstallation(db, { now: now(), weeks });
    return url.pathname === "/metrics.json"
      ? send(res, 200, "application/json", JSON.stringify({ weeks, installations: reports }))
      : send(res, 200, "text/html; charset=utf-8", renderMetricsPage(weeks, reports));
  };
}
