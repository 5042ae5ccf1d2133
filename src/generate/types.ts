import type { ApiFact } from "../knowledge/ground.js";
import type { KnowledgeBase } from "../knowledge/kb.js";
import type { AirflowTarget, ComponentSpec } from "../spec/types.js";

/** Something the stores learned that may help this generation (a pattern, a fix, a library fact, guidance). */
export interface LearnedContextItem {
  kind: "pattern" | "fix" | "library" | "guidance";
  title: string;
  body: string;
  /** Why this item was chosen for this spec (shown to the model and in reports). */
  reason: string;
  /** Store reference (e.g. `pattern:42`) so outcomes can be credited back. */
  ref?: string;
}

export type FileRole = "component" | "test" | "dag";

/** One file of a generation; `path` is relative and canonical: `<snake>.py`, `test_<snake>.py`, `<snake>_example_dag.py`. */
export interface GeneratedFile {
  role: FileRole;
  path: string;
  content: string;
}

export interface RetryContext {
  /** 1-based number of the attempt being made. */
  attempt: number;
  /** patch: change only what the failures require; regenerate: start again from the spec. */
  strategy: "patch" | "regenerate";
  previousFiles: GeneratedFile[];
  /** Normalized failure messages of the previous attempt. */
  failures: string[];
  /** What a person asked for (e.g. in a `/retry` comment). */
  guidance?: string;
  /**
   * How a patch asks the model to answer: targeted edits to `previousFiles` (the default), or whole files
   * (after a reply whose edits could not be applied).
   */
  replyFormat?: "edits" | "files";
}

export interface GenerationContext {
  learned: LearnedContextItem[];
  /** Tokens the learned-context slot may use (estimated as characters / 4). Default 4000. */
  tokenBudget?: number;
  /** Overrides the spec's `airflow_version`. */
  airflowVersion?: AirflowTarget;
  /** Dotted module the test and example DAG import the component from. Default: `<snake>`. */
  componentModule?: string;
  /** `max_tokens` of the model call. Default 8192. */
  maxTokens?: number;
  retry?: RetryContext;
  /** Where the prompt's Airflow API facts come from: the shipped knowledge base by default, none with null. */
  knowledgeBase?: KnowledgeBase | null;
  /** Tokens the Airflow API facts may use (estimated as characters / 4). Default 1200. */
  apiFactsBudget?: number;
}

/** Tokens of one model call. `input` counts only uncached input; cache reads and writes are separate. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface SystemBlock {
  text: string;
  /** Static text that providers with prompt caching mark as cacheable. */
  cache: boolean;
}

/** What the component is built for; the scaffold renders from it without reading the prose. */
export interface PromptTarget {
  airflowVersion: AirflowTarget;
  componentModule: string;
}

export interface Prompt {
  system: SystemBlock[];
  user: string;
  maxTokens: number;
  target: PromptTarget;
}

export interface ModelReply {
  text: string;
  /** `end_turn`, `max_tokens` (Anthropic), `stop`, `length` (chat completions), `scaffold`. */
  stopReason: string;
  usage: TokenUsage;
  model: string;
}

export type ProviderName = "anthropic" | "openai-compatible" | "scaffold";

export interface ModelProvider {
  name: ProviderName;
  model: string;
  /** Resolves with the reply, or rejects with a `ProviderError` (status and API message in its text). */
  complete(prompt: Prompt, spec: ComponentSpec): Promise<ModelReply>;
}

export type FailureKind =
  | "no_code"
  | "truncated"
  | "missing_component"
  | "wrong_class"
  | "provider_error"
  | "check_failed"
  /** The reply's edits could not be applied and it held no whole files to fall back on. */
  | "bad_edit";

/** How a reply gave the files: whole (`files`), or as targeted edits to the previous files (`edits`). */
export type ReplyMode = "files" | "edits";

interface AttemptCommon {
  usage: TokenUsage;
  costUsd: number;
  /** False when the model has no entry in the price table: `costUsd` is then 0 and means "unknown". */
  priceKnown: boolean;
  provider: ProviderName;
  model: string;
  durationMs: number;
}

export interface AttemptSuccess extends AttemptCommon {
  ok: true;
  files: GeneratedFile[];
  learnedUsed: LearnedContextItem[];
  learnedDropped: LearnedContextItem[];
  /** The Airflow API facts (classes, import paths, signatures) the prompt carried. */
  apiFacts: ApiFact[];
  scaffold: boolean;
  replyMode: ReplyMode;
  /** Roles the reply lacked and the scaffold templates filled in. */
  filledFromScaffold: FileRole[];
  /** Human-readable remarks about this attempt (e.g. which files came from the scaffold). */
  notes: string[];
}

export interface AttemptFailure extends AttemptCommon {
  ok: false;
  kind: FailureKind;
  reason: string;
  /** Whether trying again can help (false for e.g. a rejected API key). */
  retryable: boolean;
  rawReplyExcerpt?: string;
  /** Files that were produced but rejected by a check (kind `check_failed`). */
  files?: GeneratedFile[];
  /** How the rejected files were given (kind `check_failed`). */
  replyMode?: ReplyMode;
}

export type AttemptResult = AttemptSuccess | AttemptFailure;
