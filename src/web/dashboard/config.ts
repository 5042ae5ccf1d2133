/** The dashboard's settings from the environment, and what is missing for it to open. */
import { githubBases, type GitHubOAuthConfig } from "../auth/github-oauth.js";

export interface DashboardConfig {
  /** Signs the login cookie; without it nobody can sign in. */
  sessionSecret?: string;
  /** Sign in with GitHub (the app's OAuth client). */
  github?: GitHubOAuthConfig;
  /** Sign in with a shared token that sees every installation (self-hosted, headless setups). */
  dashboardToken?: string;
  /** The dashboard's public origin (https://opforge.example.com): the OAuth callback, cookies' Secure flag, the Origin check. */
  publicUrl?: URL;
}

const MIN_SECRET = 32;

const value = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

export function dashboardConfigFromEnv(env: NodeJS.ProcessEnv): DashboardConfig {
  const sessionSecret = value(env, "OPFORGE_SESSION_SECRET");
  const clientId = value(env, "GITHUB_CLIENT_ID");
  const clientSecret = value(env, "GITHUB_CLIENT_SECRET");
  const dashboardToken = value(env, "OPFORGE_DASHBOARD_TOKEN");
  const publicUrl = value(env, "OPFORGE_PUBLIC_URL");
  let url: URL | undefined;
  if (publicUrl !== undefined) {
    try {
      url = new URL(publicUrl);
    } catch {
      throw new Error(`OPFORGE_PUBLIC_URL must be an absolute URL such as https://opforge.example.com, got "${publicUrl}"`);
    }
  }
  return {
    ...(sessionSecret === undefined || sessionSecret.length < MIN_SECRET ? {} : { sessionSecret }),
    ...(clientId === undefined || clientSecret === undefined ? {} : { github: { clientId, clientSecret, ...githubBases(env) } }),
    ...(dashboardToken === undefined ? {} : { dashboardToken }),
    ...(url === undefined ? {} : { publicUrl: url }),
  };
}

/** The settings still needed before anyone can sign in; empty when the dashboard is open for sign-in. */
export function missingSettings(config: DashboardConfig): string[] {
  const missing: string[] = [];
  if (config.sessionSecret === undefined) missing.push(`OPFORGE_SESSION_SECRET (at least ${MIN_SECRET} characters)`);
  if (config.github === undefined && config.dashboardToken === undefined) missing.push("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or OPFORGE_DASHBOARD_TOKEN");
  return missing;
}
