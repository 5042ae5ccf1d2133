import { createHash } from "node:crypto";
import type { ComponentSpec } from "./types.js";

/** JSON with object keys sorted at every level and undefined members dropped, so equal specs serialize equally. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(",")}}`;
}

/** A stable sha256 (hex) of the normalized spec: the same spec gives the same value however it was written. */
export function specFingerprint(spec: ComponentSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}
