import type { RepoConfig } from "../config/repo-config.js";
import type { LearningOrigin, LearningScope } from "../learn/scope.js";
import { scopeFor } from "../learn/scope.js";

/**
 * A generation's learned records belong to the installation and repository it runs in; what it reads is
 * that installation's knowledge, narrowed to the repository unless the repository's `learning.share` says
 * `installation`.
 */
export function originOf(generation: { installationId: number; repo: string }): LearningOrigin {
  return { installationId: generation.installationId, repository: generation.repo };
}

export function scopeOf(generation: { installationId: number; repo: string }, config: Pick<RepoConfig, "learning">): LearningScope {
  return scopeFor(originOf(generation), config.learning.share);
}
