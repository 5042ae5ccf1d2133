import { z } from "zod";

/**
 * Which database opforge uses. The SQLite file stays the zero-setup default; `OPFORGE_DATABASE_URL` switches
 * to PostgreSQL, which several App replicas can share.
 */
export type DatabaseConfig =
  | { readonly dialect: "sqlite"; readonly path: string }
  | { readonly dialect: "postgres"; readonly url: string };

export const DEFAULT_SQLITE_PATH = "data/opforge.db";

/** A bad database setting; the message names the environment variable and what would be valid. */
export class DatabaseConfigError extends Error {
  override readonly name = "DatabaseConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`invalid opforge environment: ${variable}: ${message}`);
  }
}

const EXAMPLE_URL = "postgres://opforge:secret@db.example:5432/opforge";

/**
 * The URL is checked here rather than on first connect so a typo stops the process at start. Messages show
 * the scheme and the problem, never the URL itself: it usually carries a password.
 */
export const postgresUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `not a URL; expected one like ${EXAMPLE_URL}` });
    return;
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    ctx.addIssue({
      code: "custom",
      message: `only postgres:// and postgresql:// URLs are accepted (got ${url.protocol}//); leave it unset to use the SQLite file OPFORGE_DB`,
    });
    return;
  }
  if (url.hostname === "") ctx.addIssue({ code: "custom", message: `the URL names no host; expected one like ${EXAMPLE_URL}` });
  if (url.pathname.replace(/^\//, "") === "") {
    ctx.addIssue({ code: "custom", message: `the URL names no database; expected one like ${EXAMPLE_URL}` });
  }
});

/** Empty values count as unset, as docker compose and .env files produce them for "not configured". */
function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export function readDatabaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const url = present(env.OPFORGE_DATABASE_URL);
  if (url !== undefined) {
    const parsed = postgresUrl.safeParse(url);
    if (!parsed.success) {
      throw new DatabaseConfigError("OPFORGE_DATABASE_URL", parsed.error.issues.map((i) => i.message).join("; "));
    }
    return { dialect: "postgres", url: parsed.data };
  }
  return { dialect: "sqlite", path: present(env.OPFORGE_DB) ?? DEFAULT_SQLITE_PATH };
}

/**
 * The URL as it may be printed: the password replaced by `***`. Text that is not a URL is returned as is
 * (a SQLite path carries no password).
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (url.password === "") return value;
  url.password = "***";
  return url.toString();
}
