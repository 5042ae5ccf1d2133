import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { kyselyOverStore } from "../db/over-store.js";
import { countJobs } from "../jobs/queue.js";
import type { Database } from "../store/database.js";
import { send, type Route } from "./http.js";
import type { OpsMetrics } from "./prometheus.js";

export type { Route } from "./http.js";

export interface WebRouteOptions {
  /** When set, `/metrics` answers only to `Authorization: Bearer <token>`; unset, it is open as Prometheus endpoints usually are. */
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
 * `/healthz` for the container's health check and `/metrics` for Prometheus: operational counters only (see
 * prometheus.ts), so it may be open; with a token configured, a request without it gets 401.
 */
export function webRoutes(db: Database, metrics: OpsMetrics, options: WebRouteOptions = {}): Route {
  const token = options.metricsToken === undefined || options.metricsToken.trim() === "" ? undefined : options.metricsToken.trim();
  return (req, res) => {
    if (req.method !== "GET" || req.url === undefined) return false;
    const url = new URL(req.url, "http://opforge.invalid");
    if (url.pathname === "/healthz") {
      countJobs(kyselyOverStore(db)).then(
        (jobs) => send(res, 200, "application/json", JSON.stringify({ status: "ok", jobs })),
        () => send(res, 500, "text/plain; charset=utf-8", "the job counts could not be read\n"),
      );
      return true;
    }
    if (url.pathname !== "/metrics") return false;
    if (token !== undefined && !hasBearerToken(req, token)) {
      return send(res, 401, "text/plain; charset=utf-8", "a bearer token is required\n", { "www-authenticate": 'Bearer realm="opforge metrics"' });
    }
    metrics.render().then(
      ({ contentType, body }) => send(res, 200, contentType, body),
      () => send(res, 500, "text/plain; charset=utf-8", "the metrics could not be read\n"),
    );
    return true;
  };
}
