/**
 * The dashboard's login session: a cookie holding who signed in and which installations they may see, signed
 * with HMAC-SHA256 so it cannot be forged or widened, and carrying its own expiry so a stolen cookie stops
 * working. There is no server-side session table: the installations a GitHub user may see are read from
 * GitHub at sign-in and kept in the cookie until it expires.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

export const SESSION_COOKIE = "opforge_session";
/** How long a sign-in lasts; a user's new or lost installation access shows after the next sign-in. */
export const SESSION_TTL_MS = 8 * 3_600_000;

const installationSchema = z.object({ id: z.number().int().nonnegative(), account: z.string().max(100) });

const sessionSchema = z.object({
  /** GitHub login, or `token` for the shared dashboard token. */
  user: z.string().min(1).max(100),
  via: z.enum(["github", "token"]),
  /**
   * The installations a GitHub user may see; `all` for the dashboard token. A bare id is an installation whose
   * account name was left out to keep the cookie small.
   */
  installations: z.union([
    z.literal("all"),
    z.array(z.union([installationSchema, z.number().int().nonnegative().transform((id) => ({ id, account: "" }))])).max(1000),
  ]),
  /** The per-session token every form carries, checked on each POST. */
  csrf: z.string().regex(/^[A-Za-z0-9_-]{32,64}$/),
  expiresAt: z.number().int(),
});

export type Session = z.output<typeof sessionSchema>;
/** What a cookie holds: a session, possibly with bare installation ids. */
export type SessionFields = z.input<typeof sessionSchema>;
export type SessionInstallation = z.infer<typeof installationSchema>;

const mac = (secret: string, data: string): Buffer => createHmac("sha256", secret).update(data, "utf8").digest();

export function newCsrfToken(): string {
  return randomBytes(24).toString("base64url");
}

export function newSession<T extends Omit<SessionFields, "csrf" | "expiresAt">>(fields: T, now: number): T & Pick<Session, "csrf" | "expiresAt"> {
  return { ...fields, csrf: newCsrfToken(), expiresAt: now + SESSION_TTL_MS };
}

/** `payload.signature`, both base64url. */
export function encodeSession(session: SessionFields, secret: string): string {
  const payload = Buffer.from(JSON.stringify(session), "utf8").toString("base64url");
  return `${payload}.${mac(secret, payload).toString("base64url")}`;
}

/** The session in a cookie value, or null when it is malformed, forged or expired. */
export function decodeSession(value: string | undefined, secret: string, now: number): Session | null {
  if (value === undefined || value.length > 64_000) return null;
  const [payload, signature, extra] = value.split(".");
  if (payload === undefined || signature === undefined || extra !== undefined) return null;
  const given = Buffer.from(signature, "base64url");
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const parsed = sessionSchema.safeParse(json);
  if (!parsed.success || parsed.data.expiresAt <= now) return null;
  return parsed.data;
}

/** Who is looking, as far as what they may see goes: a session, or the dashboard token on the API. */
export type Viewer = Pick<Session, "installations">;

/** Whether the viewer may see the installation. */
export function canSee(viewer: Viewer, installationId: number): boolean {
  return viewer.installations === "all" || viewer.installations.some((i) => i.id === installationId);
}
