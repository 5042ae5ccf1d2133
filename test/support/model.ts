import nock from "nock";
import type { FileRole } from "../../src/generate/types.js";
import { renderScaffold } from "../../src/generate/scaffold/index.js";
import { specFromIssueBody } from "../../src/spec/index.js";

/**
 * The Anthropic Messages API as nock answers it: the reply shape of `POST /v1/messages` (id, type, role,
 * model, content blocks, stop_reason, stop_sequence, usage with the cache counters).
 */

export const ANTHROPIC = "https://api.anthropic.com";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export function messageBody(text: string, usage: Usage, model = "claude-sonnet-5-5"): Record<string, unknown> {
  return {
    id: `msg_01${Buffer.from(text.slice(0, 12)).toString("hex").slice(0, 22)}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { ...usage, service_tier: "standard" },
  };
}

/** The three files in the reply format the system prompt asks for: one fenced block per file, tagged by role. */
export function filesReply(files: { role: FileRole; content: string }[], preface = "Here are the files."): string {
  return [preface, ...files.map((f) => `\`\`\`python file=${f.role}\n${f.content.endsWith("\n") ? f.content : `${f.content}\n`}\`\`\``)].join("\n\n");
}

/** Files a careful model would write for the spec in `issueBody` (the scaffold's, which pass local validation). */
export function modelFiles(issueBody: string, componentModule: string): { role: FileRole; content: string }[] {
  const parsed = specFromIssueBody(issueBody);
  if (!parsed.ok) throw new Error(`test spec is invalid: ${JSON.stringify(parsed.errors)}`);
  return renderScaffold(parsed.spec, parsed.spec.airflow_version, componentModule).map((f) => ({ role: f.role, content: f.content }));
}

export interface CapturedMessage {
  model: string;
  system: { type: string; text: string }[];
  messages: { role: string; content: string }[];
  max_tokens: number;
}

/**
 * One expected `POST /v1/messages`, answered with `text`; the request body lands in `captured`. Not
 * persisted: an extra model call fails the test as an unmatched request.
 */
export function expectMessage(text: string, usage: Usage, captured: CapturedMessage[] = []): nock.Scope {
  return nock(ANTHROPIC)
    .post("/v1/messages", (body: CapturedMessage) => {
      captured.push(body);
      return true;
    })
    .matchHeader("authorization", /^Bearer sk-ant-test/)
    .matchHeader("anthropic-version", /\d{4}-\d{2}-\d{2}/)
    .reply(200, messageBody(text, usage), { "content-type": "application/json", "request-id": "req_011CTEST" });
}
