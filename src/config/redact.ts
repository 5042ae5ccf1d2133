/**
 * Secrets never leave the process: every text that is posted to GitHub, stored, printed or logged passes
 * through `redact`, which replaces each configured secret (model keys, the webhook secret, the private key,
 * tokens) and anything shaped like a credential with a fixed mark.
 */

export const REDACTED = "[redacted]";

/** Values shorter than this are not treated as secrets: redacting "k" would shred every text. */
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();

/** Environment variables whose values are secrets wherever they appear. */
const SECRET_ENV = /(?:^|_)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)/i;

/** Credential shapes: provider keys, GitHub tokens, bearer/basic authorisations, PEM private keys. */
const SHAPES: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{6,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}/g,
  /\b(?:xox[abprs]|glpat)-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  // A credential after an authorisation word: at least 8 characters, one of them a digit (prose has none).
  /\b(Bearer|Basic|token)(\s+)(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b((?:api[_-]?key|x-api-key|authorization|access[_-]?token|secret|password)["']?\s*[:=]\s*["']?)(?=[^\s"',;}]*\d)[^\s"',;}]{6,}/gi,
];

/** Remembers a configured secret (and each line of a multi-line one, such as a PEM key). */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string") return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  secrets.add(trimmed);
  if (trimmed.includes("\n")) {
    for (const line of trimmed.split(/\r?\n/)) {
      const part = line.trim();
      if (part.length >= 16 && !part.startsWith("-----")) secrets.add(part);
    }
  }
}

/** Registers every secret-named variable of the environment (ANTHROPIC_API_KEY, WEBHOOK_SECRET, PRIVATE_KEY…). */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV.test(name) && !/_(?:PATH|FILE|URL)$/i.test(name)) registerSecret(value);
  }
}

/** Forgets the registered secrets (tests). */
export function clearSecrets(): void {
  secrets.clear();
}

/** `text` with every configured secret and credential-shaped substring replaced by `[redacted]`. */
export function redact(text: string): string {
  if (typeof text !== "string" || text === "") return text;
  let out = text;
  // Longest first, so a secret containing another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const shape of SHAPES) {
    out = out.replace(shape, (match: string, prefix?: unknown, gap?: unknown) => {
      if (typeof prefix === "string" && typeof gap === "string") return `${prefix}${gap}${REDACTED}`;
      if (typeof prefix === "string" && match.startsWith(prefix)) return `${prefix}${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

/** `redact` applied to every string inside a JSON-like value (log objects, error fields). */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redact(value) as T;
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const copy = new Error(redact(value.message));
    copy.name = value.name;
    if (value.stack !== undefined) copy.stack = redact(value.stack);
    for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = redactDeep(v, depth + 1);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}
