import { DEFAULT_API_FACTS_TOKEN_BUDGET, groundSpec, type ApiFact } from "../../knowledge/ground.js";
import { defaultKnowledgeBase } from "../../knowledge/kb.js";
import type { AirflowTarget, ComponentSpec } from "../../spec/types.js";
import { asksForEdits } from "../edits.js";
import { snakeFromClassName } from "../naming.js";
import type { GenerationContext, LearnedContextItem, Prompt } from "../types.js";
import { libraryVersionsSections } from "./libraries.js";
import { STATIC_SYSTEM_TEXT, versionSystemText } from "./system.js";
import { DEFAULT_LEARNED_TOKEN_BUDGET, renderLearned, renderRetry, renderSpec } from "./user.js";

export { STATIC_SYSTEM_TEXT, versionSystemText } from "./system.js";
export { DEFAULT_LEARNED_TOKEN_BUDGET, estimateTokens, renderLearned, renderRetry, renderSpec } from "./user.js";

export const DEFAULT_MAX_TOKENS = 8192;

export interface BuiltPrompt {
  prompt: Prompt;
  learnedUsed: LearnedContextItem[];
  learnedDropped: LearnedContextItem[];
  /** The Airflow API facts the prompt carries, and those the budget left out. */
  apiFacts: ApiFact[];
  apiFactsDropped: ApiFact[];
}

export function targetVersion(spec: ComponentSpec, context: GenerationContext): AirflowTarget {
  return context.airflowVersion ?? spec.airflow_version;
}

/** System blocks (static, then per-version) and the user message for one generation attempt. */
export function buildPrompt(spec: ComponentSpec, context: GenerationContext): BuiltPrompt {
  const target = targetVersion(spec, context);
  const componentModule = context.componentModule ?? snakeFromClassName(spec.name);
  const learned = renderLearned(context.learned, context.tokenBudget ?? DEFAULT_LEARNED_TOKEN_BUDGET);
  const sections = [renderSpec(spec, target, componentModule)];
  const libraries = libraryVersionsSections(spec, target, sections.join("\n"));
  const kb = context.knowledgeBase === undefined ? defaultKnowledgeBase() : context.knowledgeBase;
  const grounding = kb === null ? null : groundSpec(spec, kb, target, context.apiFactsBudget ?? DEFAULT_API_FACTS_TOKEN_BUDGET);
  if (grounding !== null && grounding.text !== "") sections.push(grounding.text);
  sections.push(...libraries);
  if (learned.text !== "") sections.push(learned.text);
  if (context.retry) sections.push(renderRetry(context.retry));
  sections.push(
    asksForEdits(context.retry)
      ? `Reply now with the edit blocks for \`${spec.name}\` (\`\`\`edit file=component, file=test or file=dag), or with all three files in full if most of them must change.`
      : `Write the three files for \`${spec.name}\` now, in the reply format of the instructions (\`\`\`python file=component, file=test, file=dag).`,
  );
  return {
    prompt: {
      system: [
        { text: STATIC_SYSTEM_TEXT, cache: true },
        { text: versionSystemText(target), cache: true },
      ],
      user: sections.join("\n\n"),
      maxTokens: context.maxTokens ?? DEFAULT_MAX_TOKENS,
      target: { airflowVersion: target, componentModule },
    },
    learnedUsed: learned.used,
    learnedDropped: learned.dropped,
    apiFacts: grounding?.facts ?? [],
    apiFactsDropped: grounding?.dropped ?? [],
  };
}
