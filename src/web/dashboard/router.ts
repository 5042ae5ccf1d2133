/**
 * `/dashboard` (pages, sign-in, actions) and `/api/` (the same data as JSON). A GitHub user sees only the
 * installations GitHub lists for them; the dashboard token sees every installation. Every POST carries the
 * session's CSRF token and must come from the dashboard's own origin.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
import { collectStats, metricsInstallations } from "../../learn/metrics/index.js";
import { jobInstallations, newestJobPayload } from "../../learn/metrics/job-payload.js";
import { sameText } from "../auth/compare.js";
import { fromOwnOrigin, originOf } from "../auth/origin.js";
import { canSee, decodeSession, encodeSession, newSession, SESSION_COOKIE, SESSION_TTL_MS, type Session, type Viewer } from "../auth/session.js";
import { cookie, escapeHtml, readCookies, readForm, redirect, send, type Route } from "../http.js";
import { hasBearerToken } from "../routes.js";
import { dashboardAsset } from "./assets.js";
import { missingSettings, type DashboardConfig } from "./config.js";
import { githubSignIn } from "./github-sign-in.js";
import { installationOverview, installationSummary, requeueJob, setRuleVerdict, type ActionResult, type Actor } from "./overview.js";
import { installationPage, installationsPage, loginPage, notConfiguredPage, page } from "./pages.js";
import { html, json } from "./respond.js";

const DEFAULT_WEEKS = 12;

export interface DashboardLog {
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

const csrfForm = z.object({ csrf: z.string().min(1).max(200) });
const tokenForm = z.object({ token: z.string().min(1).max(1000) });

const INSTALLATION = /^\/dashboard\/installations\/(\d{1,15})$/;
const RULE_ACTION = /^\/dashboard\/installations\/(\d{1,15})\/rules\/(\d{1,15})\/(trust|discard)$/;
const JOB_ACTION = /^\/dashboard\/installations\/(\d{1,15})\/jobs\/(\d{1,15})\/requeue$/;
const API_INSTALLATION = /^\/api\/installations\/(\d{1,15})(\/stats)?$/;
const DONE = /^(trust_rule|discard_rule|requeue_job):(\d{1,15})$/;

export function dashboardRoutes(db: Kysely<Tables>, now: () => number, config: DashboardConfig, log?: DashboardLog): Route {
  const missing = missingSettings(config);
  const secret = config.sessionSecret;

  const secure = (req: IncomingMessage): boolean => originOf(req, config.publicUrl).startsWith("https:");
  const login = { github: config.github !== undefined, token: config.dashboardToken !== undefined };
  const signIn =
    config.github === undefined || secret === undefined
      ? undefined
      : githubSignIn({ github: config.github, secret, publicUrl: config.publicUrl, now, loginPage: (error) => loginPage({ ...login, error }), ...(log === undefined ? {} : { log }) });

  const sessionOf = (req: IncomingMessage): Session | null => (secret === undefined ? null : decodeSession(readCookies(req).get(SESSION_COOKIE), secret, now()));

  const sessionCookie = (req: IncomingMessage, value: string, maxAgeMs: number): string =>
    cookie(SESSION_COOKIE, value, { maxAgeSeconds: Math.floor(maxAgeMs / 1000), secure: secure(req) });

  /** The account name GitHub gave at sign-in, else (token sessions, or names left out of a full cookie) the database's. */
  const accountOf = async (session: Viewer, id: number): Promise<string> => {
    const given = session.installations === "all" ? undefined : session.installations.find((i) => i.id === id)?.account;
    return given === undefined || given === "" ? accountName(db, id) : given;
  };

  /** Installations a session may see, with the account name to show. */
  const visibleInstallations = async (session: Viewer): Promise<{ id: number; account: string }[]> => {
    const ids =
      session.installations === "all"
        ? [...new Set([...(await metricsInstallations(db)), ...(await jobInstallations(db))])].sort((a, b) => a - b)
        : session.installations.map((i) => i.id);
    const visible: { id: number; account: string }[] = [];
    for (const id of ids) visible.push({ id, account: await accountOf(session, id) });
    return visible;
  };

  const weeksOf = (url: URL): number | string => {
    const given = url.searchParams.get("weeks") ?? String(DEFAULT_WEEKS);
    const weeks = Number(given);
    return /^\d+$/.test(given) && weeks >= 1 && weeks <= 520 ? weeks : `weeks must be a whole number from 1 to 520, got "${given}"`;
  };

  const run = (res: ServerResponse, work: () => Promise<unknown>): true => {
    work().catch((error: unknown) => {
      log?.error({ err: error instanceof Error ? error.message : String(error) }, "dashboard request failed");
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "the request failed; see the app's log\n");
    });
    return true;
  };

  const api = (req: IncomingMessage, res: ServerResponse, url: URL): true => {
    if (missing.length > 0 && config.dashboardToken === undefined) return json(res, 404, { error: "the dashboard is not enabled", missing });
    // The dashboard token as a bearer token sees what a token session sees: every installation.
    const session: Viewer | null = config.dashboardToken !== undefined && hasBearerToken(req, config.dashboardToken) ? { installations: "all" } : sessionOf(req);
    if (session === null) return send(res, 401, "application/json", '{"error":"sign in, or send the dashboard token as a bearer token"}\n', { "www-authenticate": 'Bearer realm="opforge dashboard"' });
    const weeks = weeksOf(url);
    if (typeof weeks === "string") return json(res, 400, { error: weeks });
    if (url.pathname === "/api/installations") return run(res, async () => json(res, 200, { installations: await visibleInstallations(session) }));
    if (url.pathname === "/api/stats") {
      return run(res, async () => {
        const installations = [];
        for (const i of await visibleInstallations(session)) installations.push(await collectStats(db, i.id, { now: now(), weeks }));
        json(res, 200, { weeks, installations });
      });
    }
    const match = API_INSTALLATION.exec(url.pathname);
    if (match === null) return json(res, 404, { error: "no such API path" });
    const id = Number(match[1]);
    // An installation the user cannot see answers as if it did not exist.
    if (!canSee(session, id)) return json(res, 404, { error: `no installation ${id} for you` });
    const window = { now: now(), weeks };
    return run(res, async () => json(res, 200, match[2] === "/stats" ? await collectStats(db, id, window) : await installationOverview(db, id, window)));
  };

  const act = (req: IncomingMessage, res: ServerResponse, session: Session, installationId: number, action: () => Promise<ActionResult>, done: string): true =>
    run(res, async () => {
      const form = await readForm(req);
      const parsed = csrfForm.safeParse(form === null ? undefined : Object.fromEntries(form));
      if (!parsed.success || !sameText(parsed.data.csrf, session.csrf)) {
        html(res, 403, page({ title: "Refused", session }, "<h1>Refused</h1><p>The form was stale or not from this dashboard. Reload the page and try again.</p>"));
        return;
      }
      if (!canSee(session, installationId)) {
        html(res, 404, page({ title: "Not found", session }, "<h1>Not found</h1>"));
        return;
      }
      const result = await action();
      if (result.ok) {
        redirect(res, `/dashboard/installations/${installationId}?done=${done}`);
        return;
      }
      const overview = await installationOverview(db, installationId, { now: now(), weeks: DEFAULT_WEEKS });
      html(res, result.status, installationPage(session, await accountOf(session, installationId), overview, { ok: false, text: result.message }));
    });

  const post = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    if (!url.pathname.startsWith("/dashboard")) return false;
    if (missing.length > 0 || secret === undefined) return html(res, 404, notConfiguredPage(missing));
    if (!fromOwnOrigin(req, config.publicUrl)) return html(res, 403, page({ title: "Refused" }, "<h1>Refused</h1><p>Forms are accepted only from this dashboard's own pages.</p>"));
    if (url.pathname === "/dashboard/login") {
      return run(res, async () => {
        const form = await readForm(req);
        const parsed = tokenForm.safeParse(form === null ? undefined : Object.fromEntries(form));
        const token = config.dashboardToken;
        if (token === undefined || !parsed.success || !sameText(parsed.data.token, token)) {
          html(res, 401, loginPage({ github: config.github !== undefined, token: token !== undefined, error: "That token is not the dashboard token." }));
          return;
        }
        const session = newSession({ user: "token", via: "token", installations: "all" }, now());
        redirect(res, "/dashboard", { "set-cookie": sessionCookie(req, encodeSession(session, secret), SESSION_TTL_MS) });
      });
    }
    const session = sessionOf(req);
    if (session === null) return redirect(res, "/dashboard/login");
    if (url.pathname === "/dashboard/logout") {
      return run(res, async () => {
        const form = await readForm(req);
        const parsed = csrfForm.safeParse(form === null ? undefined : Object.fromEntries(form));
        if (!parsed.success || !sameText(parsed.data.csrf, session.csrf)) {
          html(res, 403, page({ title: "Refused", session }, "<h1>Refused</h1>"));
          return;
        }
        redirect(res, "/dashboard/login", { "set-cookie": sessionCookie(req, "", 0) });
      });
    }
    const actor: Actor = { user: session.user, via: session.via };
    const rule = RULE_ACTION.exec(url.pathname);
    if (rule !== null) {
      const [installationId, ruleId, verdict] = [Number(rule[1]), Number(rule[2]), rule[3] === "trust" ? "trust" as const : "discard" as const];
      return act(req, res, session, installationId, () => setRuleVerdict(db, installationId, ruleId, verdict, actor, now()), `${verdict}_rule:${ruleId}`);
    }
    const job = JOB_ACTION.exec(url.pathname);
    if (job !== null) {
      const [installationId, jobId] = [Number(job[1]), Number(job[2])];
      return act(req, res, session, installationId, () => requeueJob(db, installationId, jobId, actor, now()), `requeue_job:${jobId}`);
    }
    return html(res, 404, page({ title: "Not found", session }, "<h1>Not found</h1>"));
  };

  const get = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    if (url.pathname.startsWith("/dashboard/assets/")) {
      const asset = dashboardAsset(url.pathname.slice("/dashboard/assets/".length));
      if (asset === undefined) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
      return send(res, 200, asset.type, asset.body, { "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" });
    }
    if (url.pathname !== "/dashboard" && !url.pathname.startsWith("/dashboard/")) return false;
    if (missing.length > 0 || secret === undefined) return html(res, 200, notConfiguredPage(missing));
    if (url.pathname === "/dashboard/login") return html(res, 200, loginPage(login));
    if (url.pathname === "/dashboard/login/github" || url.pathname === "/dashboard/oauth/callback") {
      if (signIn === undefined) return html(res, 404, loginPage({ ...login, error: "Signing in with GitHub is not configured." }));
      return url.pathname === "/dashboard/login/github" ? signIn.start(req, res) : run(res, () => signIn.callback(req, res, url));
    }

    const session = sessionOf(req);
    if (session === null) return redirect(res, "/dashboard/login");
    if (url.pathname === "/dashboard" || url.pathname === "/dashboard/") {
      return run(res, async () => {
        const summaries = [];
        for (const i of await visibleInstallations(session)) summaries.push(await installationSummary(db, i, now()));
        html(res, 200, installationsPage(session, summaries));
      });
    }
    const match = INSTALLATION.exec(url.pathname);
    if (match === null) return html(res, 404, page({ title: "Not found", session }, "<h1>Not found</h1>"));
    const id = Number(match[1]);
    if (!canSee(session, id)) return html(res, 404, page({ title: "Not found", session }, "<h1>Not found</h1><p>No installation with that id is yours to see.</p>"));
    const weeks = weeksOf(url);
    if (typeof weeks === "string") return html(res, 400, page({ title: "Bad request", session }, `<h1>Bad request</h1><p>${escapeHtml(weeks)}</p>`));
    const done = DONE.exec(url.searchParams.get("done") ?? "");
    const notice = done === null ? undefined : { ok: true, text: `${done[1] === "requeue_job" ? "Job" : "Rule"} ${done[2]} ${done[1] === "trust_rule" ? "trusted" : done[1] === "discard_rule" ? "discarded" : "requeued"}.` };
    return run(res, async () => html(res, 200, installationPage(session, await accountOf(session, id), await installationOverview(db, id, { now: now(), weeks }), notice)));
  };

  return (req, res) => {
    if (req.url === undefined) return false;
    let url: URL;
    try {
      url = new URL(req.url, "http://opforge.invalid");
    } catch {
      return false;
    }
    if (req.method === "GET" && (url.pathname === "/api/installations" || url.pathname === "/api/stats" || url.pathname.startsWith("/api/installations/"))) return api(req, res, url);
    if (req.method === "GET") return get(req, res, url);
    if (req.method === "POST") return post(req, res, url);
    return false;
  };
}

/** The account an installation's repositories belong to, as its generations and jobs name it. */
async function accountName(db: Kysely<Tables>, installationId: number): Promise<string> {
  if (installationId === 0) return "command line (installation 0)";
  const row = await db.selectFrom("generations").select("repo").where("installation_id", "=", installationId).orderBy("id", "desc").limit(1).executeTakeFirst();
  const owner = row?.repo.split("/")[0];
  if (owner !== undefined && owner !== "") return owner;
  const payload = await newestJobPayload(db, installationId);
  const fromJob = typeof payload === "object" && payload !== null ? (payload as { owner?: unknown }).owner : undefined;
  return typeof fromJob === "string" && fromJob !== "" ? fromJob : `installation ${installationId}`;
}
