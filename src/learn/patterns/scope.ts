/**
 * Opaque FTS tokens for the fields retrieval filters on. A category is free text ("data quality"), so it
 * is hashed into one token that the unicode61 tokenizer keeps whole and no search word can equal.
 */
import { createHash } from "node:crypto";
import type { PatternComponentType, PatternKind } from "./types.js";

export function typeToken(componentType: PatternComponentType): string {
  return `t${componentType}`;
}

/** Type and category in one token: one short doclist for FTS5 to walk instead of intersecting two. */
export function typeCategoryToken(componentType: PatternComponentType, category: string): string {
  return `s${createHash("sha256").update(`${componentType}/${category.trim().toLowerCase()}`).digest("hex").slice(0, 16)}`;
}

export function kindToken(kind: PatternKind): string {
  return `k${kind.replace(/_/g, "")}`;
}

export function scopeOf(
  componentType: PatternComponentType,
  category: string,
  kind: PatternKind,
  owner: { installationId: number | null; repository: string | null },
): string {
  return `${typeToken(componentType)} ${typeCategoryToken(componentType, category)} ${kindToken(kind)} ${ownerScopeOf(owner.installationId, owner.repository)}`;
}

/**
 * The installation a pattern belongs to, as a token retrieval requires in the FTS match: a search never
 * scores another installation's rows. `inone` marks a pattern of unknown origin, which no search asks for.
 */
export function installationToken(installationId: number | null): string {
  return installationId === null ? "inone" : `i${installationId}`;
}

/** The repository a pattern was merged in, for `learning.share: repository`. */
export function repositoryToken(repository: string | null): string {
  return repository === null ? "rnone" : `r${createHash("sha256").update(repository.toLowerCase()).digest("hex").slice(0, 16)}`;
}

export function ownerScopeOf(installationId: number | null, repository: string | null): string {
  return `${installationToken(installationId)} ${repositoryToken(repository)}`;
}
