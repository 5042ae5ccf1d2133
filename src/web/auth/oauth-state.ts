/**
 * The OAuth `state` of a sign-in in progress: a random value sent to GitHub and kept in a short-lived cookie,
 * signed with the session secret, so a callback is accepted only in the browser that started the sign-in
 * (a login CSRF cannot slip another account's code into someone's browser).
 */
import { createHmac, randomBytes } from "node:crypto";
import { sameText } from "./compare.js";

export const OAUTH_STATE_COOKIE = "opforge_oauth_state";
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

const mac = (secret: string, state: string, expires: number | string): string =>
  createHmac("sha256", secret).update(`oauth.${state}.${expires}`).digest("base64url");

/** A new state and the cookie value that carries it. */
export function newOAuthState(secret: string, now: number): { state: string; cookieValue: string } {
  const state = randomBytes(18).toString("base64url");
  const expires = now + OAUTH_STATE_TTL_MS;
  return { state, cookieValue: `${state}.${expires}.${mac(secret, state, expires)}` };
}

/** Whether the callback's `state` is the one in this browser's unexpired, untampered cookie. */
export function checkOAuthState(cookieValue: string | undefined, given: string, secret: string, now: number): boolean {
  const [state, expires, signature, extra] = (cookieValue ?? "").split(".");
  if (state === undefined || expires === undefined || signature === undefined || extra !== undefined) return false;
  return sameText(signature, mac(secret, state, expires)) && Number(expires) > now && sameText(state, given);
}
