/**
 * What targeted edits save on a retry: the output tokens of the recorded whole-file retry reply against the
 * recorded edit reply for the same retry (test/fixtures/replies/weather-retry-*.md: a CI failure fixed in the
 * component, plus a new test), both answering the files of weather-labeled.md. The edits are applied first
 * and must give exactly the whole-file reply's files, so both sides describe the same change. Tokens are
 * estimated as characters / 4, the estimate every budget in opforge uses; the retry prompt's growth by the
 * edit format is shown beside it, and the price of both at claude-sonnet-5-5.
 */
import { readFileSync } from "node:fs";
import { applyEdits, parseEdits } from "../src/generate/edits.js";
import { parseReply } from "../src/generate/parse.js";
import { DEFAULT_PRICES } from "../src/generate/prices.js";
import { buildPrompt, estimateTokens } from "../src/generate/prompt/index.js";
import type { GeneratedFile, RetryContext } from "../src/generate/types.js";
import { weatherSpec } from "../test/generate/helpers.js";

const fixture = (name: string): string => readFileSync(new URL(`../test/fixtures/replies/${name}`, import.meta.url), "utf8");

function filesOf(name: string): GeneratedFile[] {
  const parsed = parseReply(fixture(name), "end_turn", weatherSpec());
  if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
  return parsed.files;
}

export async function run(): Promise<void> {
  const before = filesOf("weather-labeled.md");
  const wholeReply = fixture("weather-retry-files.md");
  const editReply = fixture("weather-retry-edits.md");
  const edits = parseEdits(editReply, before);
  if (edits.kind !== "edits") throw new Error(`the edit reply does not parse: ${JSON.stringify(edits)}`);
  const applied = applyEdits(before, edits.edits);
  if (!applied.ok) throw new Error(`the edit reply does not apply: ${applied.reason}`);
  if (JSON.stringify(applied.files) !== JSON.stringify(filesOf("weather-retry-files.md"))) {
    throw new Error("the edits do not give the whole-file reply's files: the two replies describe different retries");
  }

  const price = DEFAULT_PRICES["claude-sonnet-5-5"];
  if (price === undefined) throw new Error("no price for claude-sonnet-5-5");
  const whole = estimateTokens(wholeReply);
  const targeted = estimateTokens(editReply);
  const usd = (tokens: number, rate: number) => `$${((tokens * rate) / 1_000_000).toFixed(4)}`;
  console.log(`retry reply, whole files:     ${wholeReply.length} chars, ~${whole} output tokens, ${usd(whole, price.output)}`);
  console.log(`retry reply, targeted edits:  ${editReply.length} chars, ~${targeted} output tokens, ${usd(targeted, price.output)} (${edits.edits.length} edits to ${applied.changed.join(", ")})`);
  console.log(`output tokens saved: ${whole - targeted} (${Math.round((100 * (whole - targeted)) / whole)}%)`);

  const retry: RetryContext = { attempt: 2, strategy: "patch", previousFiles: before, failures: ["test (3.11): AirflowException not raised for a 404 answer"] };
  const promptTokens = (context: RetryContext) => {
    const prompt = buildPrompt(weatherSpec(), { learned: [], retry: context, knowledgeBase: null }).prompt;
    return estimateTokens([...prompt.system.map((b) => b.text), prompt.user].join("\n\n"));
  };
  const askWhole = promptTokens({ ...retry, replyFormat: "files" });
  const askEdits = promptTokens(retry);
  console.log(`retry prompt: ~${askWhole} input tokens asking for whole files, ~${askEdits} asking for edits (+${askEdits - askWhole}, ${usd(askEdits - askWhole, price.input)})`);
}
