import type { RepoConfig } from "../config/repo-config.js";
import type { GenerationContext, LearnedContextItem, ModelProvider } from "../generate/types.js";
import type { GitHubClient } from "../github/client.js";
import type { JobLogger } from "../jobs/worker.js";
import type { RewriteRule } from "../python/index.js";
import type { ComponentSpec } from "../spec/types.js";
import type { Database } from "../store/database.js";

/** The learning layer as the flows see it: what to add to a prompt, and where each signal goes. */
export interface LearningHooks {
  contextFor(spec: ComponentSpec): { learned: LearnedContextItem[]; rules: RewriteRule[] };
  onMerged?(input: { generationId: number; generatedFiles: { path: string; content: string }[]; mergedFiles: Map<string, string | null>; prNumber: number; mergeSha: string | null }): Promise<string | null>;
  onClosedUnmerged?(input: { generationId: number }): void;
}

export const noLearning: LearningHooks = {
  contextFor: () => ({ learned: [], rules: [] }),
};

/** Everything a flow needs from the outside world; tests pass their own. */
export interface FlowServices {
  db: Database;
  now: () => number;
  octokitFor: (installationId: number) => Promise<GitHubClient>;
  providerFor: (config: RepoConfig) => ModelProvider;
  learning: LearningHooks;
  /** Login of the app's bot user (`<slug>[bot]`), to recognise its own comments. */
  botLogin?: string;
  log: JobLogger;
  /** Extra generation settings (token budget, max tokens). */
  generation?: Pick<GenerationContext, "tokenBudget" | "maxTokens">;
}
