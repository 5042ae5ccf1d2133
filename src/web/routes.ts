import type { IncomingMessage, ServerResponse } from "node:http";
import { countJobs } from "../jobs/queue.js";
import { collectStats } from "../learn/metrics/index.js";
import type { Database } from "../store/database.js";
import { renderMetricsPage } from "./metrics-page.js";

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

function send(res: ServerResponse, status: number, type: string, body: string): true {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
  return true;
}

/** `/healthz` for the container's health check, `/metrics` (HTML) and `/metrics.json` for the learning curve. */
export function webRoutes(db: Database, now: () => number): Route {
  return (req, res) => {
    if (req.method !== "GET" || req.url === undefined) return false;
    const url = new URL(req.url, "http://opforge.invalid");
    if (url.pathname === "/healthz") return send(res, 200, "application/json", JSON.stringify({ status: "ok", jobs: countJobs(db) }));
    if (url.pathname !== "/metrics" && url.pathname !== "/metrics.json") return false;
    const weeksParam = url.searchParams.get("weeks") ?? "12";
    const weeks = Number(weeksParam);
    if (!/^\d+$/.test(weeksParam) || weeks < 1 || weeks > 520) {
      return send(res, 400, "text/plain; charset=utf-8", `weeks must be a whole number from 1 to 520, got "${weeksParam}"\n`);
    }
    const report = collectStats(db, { now: now(), weeks });
    return url.pathname === "/metrics.json"
      ? send(res, 200, "application/json", JSON.stringify(report))
      : send(res, 200, "text/html; charset=utf-8", renderMetricsPage(report));
  };
}
