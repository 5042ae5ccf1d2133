import type { ComponentSpec } from "../../spec/types.js";
import { renderScaffold } from "../scaffold/index.js";
import type { ModelProvider, ModelReply, Prompt } from "../types.js";

export const SCAFFOLD_STOP_REASON = "scaffold";

/**
 * No model: renders the files from the spec and answers in the reply format the models use, so the
 * scaffold goes through the same parsing as a model's reply.
 */
export function scaffoldProvider(): ModelProvider {
  return {
    name: "scaffold",
    model: "scaffold",
    async complete(prompt: Prompt, spec: ComponentSpec): Promise<ModelReply> {
      const files = renderScaffold(spec, prompt.target.airflowVersion, prompt.target.componentModule);
      const text = files
        .map((f) => {
          // Backticks inside a docstring must not close the block early.
          const longest = Math.max(2, ...[...f.content.matchAll(/`+/g)].map((m) => m[0].length));
          const ticks = "`".repeat(longest + 1);
          return `${ticks}python file=${f.role}\n${f.content}${ticks}`;
        })
        .join("\n\n");
      return { text, stopReason: SCAFFOLD_STOP_REASON, model: "scaffold", usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } };
    },
  };
}
