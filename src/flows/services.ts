import type { RepoConfig } from "../config/repo-config.js";
import type { PriceTable } from "../generate/prices.js";
import type { GenerationContext, ModelProvider } from "../generate/types.js";
import type { GitHubClient } from "../github/client.js";
import type { JobLogger } from "../jobs/worker.js";
import type { Learning } from "../learn/loop.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

/** Everything a flow needs from the outside world; tests pass their own. */
export interface FlowServices {
  /** The database, SQLite or PostgreSQL; on SQLite the one Kysely instance over the process's connection. */
  kysely: Kysely<Tables>;
  now: () => number;
  octokitFor: (installationId: number) => Promise<GitHubClient>;
  providerFor: (config: RepoConfig) => ModelProvider;
  /** Where every signal goes, and where the learned context of the next generation comes from. */
  learning: Learning;
  /** The app's id: its own check suite is not waited for. */
  appId?: number;
  /** Login of the app's bot user (`<slug>[bot]`), to recognise its own comments. */
  botLogin?: string;
  log: JobLogger;
  /** Model prices (the built-in table with OPFORGE_PRICES applied); by default read from the process environment. */
  prices?: PriceTable;
  /** Milliseconds from the lessons comment to the first look at its reactions (OPFORGE_LESSONS_CHECK_MS). */
  lessonsCheckMs?: number;
  /** Extra generation settings (token budget, max tokens). */
  generation?: Pick<GenerationContext, "tokenBudget" | "maxTokens" | "apiFactsBudget">;
}
