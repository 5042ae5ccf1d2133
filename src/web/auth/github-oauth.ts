/**
 * Signing in with GitHub through the app's OAuth client (the client id and secret Probot's manifest flow
 * writes): the authorize redirect, the code-for-token exchange, and the user's installations of this app
 * (`GET /user/installations` with the user-to-server token lists only installations the user can access).
 * On GitHub Enterprise Server the pages live under the GHES host and the API under `/api/v3`.
 */
import { z } from "zod";

export interface GitHubOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** `https://github.com` or the GHES origin. */
  webBase: string;
  /** `https://api.github.com` or `<GHES origin>/api/v3`. */
  apiBase: string;
}

/** Where github.com or the Enterprise Server named by GHE_HOST / GHE_PROTOCOL serves its pages and its API. */
export function githubBases(env: NodeJS.ProcessEnv): { webBase: string; apiBase: string } {
  const host = env.GHE_HOST?.trim();
  if (host === undefined || host === "") return { webBase: "https://github.com", apiBase: "https://api.github.com" };
  const protocol = env.GHE_PROTOCOL?.trim() === "http" ? "http" : "https";
  const webBase = `${protocol}://${host.replace(/\/+$/, "")}`;
  return { webBase, apiBase: `${webBase}/api/v3` };
}

export function authorizeUrl(config: GitHubOAuthConfig, state: string, redirectUri: string): string {
  const url = new URL("/login/oauth/authorize", config.webBase);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("state", state);
  // GitHub App user tokens carry the app's permissions; no scope is asked for.
  url.searchParams.set("allow_signup", "false");
  return url.toString();
}

const tokenAnswer = z.union([
  z.object({ access_token: z.string().min(1).max(2000), token_type: z.string().optional() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

const userAnswer = z.object({ login: z.string().min(1).max(100) });

const installationsAnswer = z.object({
  total_count: z.number().int().nonnegative(),
  installations: z.array(z.object({ id: z.number().int().positive(), account: z.object({ login: z.string() }).nullable() })),
});

export type OAuthResult<T> = { ok: true; value: T } | { ok: false; reason: string };

async function json(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

/** The user-to-server token for an authorization code. */
export async function exchangeCode(config: GitHubOAuthConfig, code: string, redirectUri: string): Promise<OAuthResult<string>> {
  const response = await fetch(new URL("/login/oauth/access_token", config.webBase), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ client_id: config.clientId, client_secret: config.clientSecret, code, redirect_uri: redirectUri }),
    signal: AbortSignal.timeout(10_000),
  });
  const parsed = tokenAnswer.safeParse(await json(response));
  if (!response.ok || !parsed.success) return { ok: false, reason: `GitHub answered the token exchange with HTTP ${response.status}` };
  if ("error" in parsed.data) return { ok: false, reason: `GitHub refused the sign-in: ${parsed.data.error_description ?? parsed.data.error}` };
  return { ok: true, value: parsed.data.access_token };
}

function api(config: GitHubOAuthConfig, token: string, path: string): Promise<Response> {
  return fetch(`${config.apiBase}${path}`, {
    headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token}`, "x-github-api-version": "2022-11-28" },
    signal: AbortSignal.timeout(10_000),
  });
}

export interface GitHubUser {
  login: string;
  installations: { id: number; account: string }[];
}

/** Pages of 100 up to this many: a user who can reach more installations sees the first 1000. */
const MAX_PAGES = 10;

/** The signed-in user and the installations of this app they can access. */
export async function userWithInstallations(config: GitHubOAuthConfig, token: string): Promise<OAuthResult<GitHubUser>> {
  const userResponse = await api(config, token, "/user");
  const user = userAnswer.safeParse(await json(userResponse));
  if (!userResponse.ok || !user.success) return { ok: false, reason: `GitHub answered GET /user with HTTP ${userResponse.status}` };
  const installations: GitHubUser["installations"] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const response = await api(config, token, `/user/installations?per_page=100&page=${page}`);
    const parsed = installationsAnswer.safeParse(await json(response));
    if (!response.ok || !parsed.success) return { ok: false, reason: `GitHub answered GET /user/installations with HTTP ${response.status}` };
    for (const i of parsed.data.installations) installations.push({ id: i.id, account: i.account?.login ?? `installation ${i.id}` });
    if (parsed.data.installations.length < 100 || installations.length >= parsed.data.total_count) break;
  }
  return { ok: true, value: { login: user.data.login, installations } };
}
