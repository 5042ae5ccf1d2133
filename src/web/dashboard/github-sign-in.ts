/**
 * Signing in with GitHub: `/dashboard/login/github` sends the browser to GitHub's authorize page with a fresh
 * state; `/dashboard/oauth/callback` checks that state, exchanges the code for the user's token, reads the user
 * and the installations they can access, and starts a session holding them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { authorizeUrl, exchangeCode, userWithInstallations, type GitHubOAuthConfig } from "../auth/github-oauth.js";
import { checkOAuthState, newOAuthState, OAUTH_STATE_COOKIE, OAUTH_STATE_TTL_MS } from "../auth/oauth-state.js";
import { originOf } from "../auth/origin.js";
import { encodeSession, newSession, SESSION_COOKIE, SESSION_TTL_MS } from "../auth/session.js";
import { cookie, readCookies, redirect } from "../http.js";
import { html } from "./respond.js";

const callbackQuery = z.object({ code: z.string().min(1).max(1000), state: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });
const CALLBACK_PATH = "/dashboard/oauth/callback";

export interface GitHubSignInOptions {
  github: GitHubOAuthConfig;
  secret: string;
  publicUrl: URL | undefined;
  now: () => number;
  /** The login page with an error, for every way a sign-in can fail. */
  loginPage: (error: string) => string;
  log?: { warn(obj: Record<string, unknown>, msg?: string): void };
}

export interface GitHubSignIn {
  start(req: IncomingMessage, res: ServerResponse): true;
  /** Resolves once the answer is sent. */
  callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** Browsers drop cookies over 4096 bytes (name and attributes included); the session's value stays under this. */
export const MAX_SESSION_COOKIE = 3_800;

/**
 * The session cookie's value: with the account names while they fit, else with the ids alone (pages then name
 * the accounts from the database); undefined when even the ids do not fit.
 */
export function sessionCookieValue(login: string, installations: readonly { id: number; account: string }[], secret: string, now: number): string | undefined {
  const named = encodeSession(newSession({ user: login, via: "github" as const, installations: [...installations] }, now), secret);
  if (named.length <= MAX_SESSION_COOKIE) return named;
  const bare = encodeSession(newSession({ user: login, via: "github" as const, installations: installations.map((i) => i.id) }, now), secret);
  return bare.length <= MAX_SESSION_COOKIE ? bare : undefined;
}

export function githubSignIn(options: GitHubSignInOptions): GitHubSignIn {
  const secure = (req: IncomingMessage): boolean => originOf(req, options.publicUrl).startsWith("https:");
  const redirectUri = (req: IncomingMessage): string => `${originOf(req, options.publicUrl)}${CALLBACK_PATH}`;
  const stateCookie = (req: IncomingMessage, value: string, maxAgeSeconds: number): string =>
    cookie(OAUTH_STATE_COOKIE, value, { maxAgeSeconds, secure: secure(req), path: "/dashboard/oauth" });

  return {
    start(req, res) {
      const { state, cookieValue } = newOAuthState(options.secret, options.now());
      return redirect(res, authorizeUrl(options.github, state, redirectUri(req)), { "set-cookie": stateCookie(req, cookieValue, OAUTH_STATE_TTL_MS / 1000) });
    },

    async callback(req, res, url) {
      const query = callbackQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success || !checkOAuthState(readCookies(req).get(OAUTH_STATE_COOKIE), query.data.state, options.secret, options.now())) {
        html(res, 400, options.loginPage("The sign-in could not be verified (it expired or did not start here). Try again."));
        return;
      }
      const token = await exchangeCode(options.github, query.data.code, redirectUri(req));
      const user = token.ok ? await userWithInstallations(options.github, token.value) : token;
      if (!user.ok) {
        options.log?.warn({ reason: user.reason }, "dashboard sign-in with GitHub failed");
        html(res, 502, options.loginPage(user.reason));
        return;
      }
      const value = sessionCookieValue(user.value.login, user.value.installations, options.secret, options.now());
      if (value === undefined) {
        html(res, 413, options.loginPage(`You can access ${user.value.installations.length} installations of this app, more than a sign-in can hold; use the dashboard token (OPFORGE_DASHBOARD_TOKEN) instead.`));
        return;
      }
      redirect(res, "/dashboard", {
        "set-cookie": [cookie(SESSION_COOKIE, value, { maxAgeSeconds: SESSION_TTL_MS / 1000, secure: secure(req) }), stateCookie(req, "", 0)],
      });
    },
  };
}
