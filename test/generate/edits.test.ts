import nock from "nock";
import { describe, expect, it } from "vitest";
import { runAttempts } from "../../src/generate/attempts.js";
import { applyEdits, parseEdits } from "../../src/generate/edits.js";
import { generate } from "../../src/generate/generate.js";
import { parseReply } from "../../src/generate/parse.js";
import { DEFAULT_PRICES } from "../../src/generate/prices.js";
import type { GeneratedFile, RetryContext } from "../../src/generate/types.js";
import { ANTHROPIC_API, messagesReply, recordedReply, testAnthropic, weatherSpec } from "./helpers.js";
import { useNock } from "../support/nock.js";

const API = ANTHROPIC_API;
const reply = recordedReply;
const message = (text: string) => messagesReply(text, { input_tokens: 3000, output_tokens: 450, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000 });
const anthropic = testAnthropic;

/** The files of the recorded first reply: what a patch retry edits. */
function currentFiles(): GeneratedFile[] {
  const parsed = parseReply(reply("weather-labeled.md"), "end_turn", weatherSpec());
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.files;
}

function filesOf(name: string): GeneratedFile[] {
  const parsed = parseReply(reply(name), "end_turn", weatherSpec());
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.files;
}

const edit = (file: string, pairs: [string, string][]) =>
  [`\`\`\`edit file=${file}`, ...pairs.flatMap(([s, r]) => ["<<<<<<< SEARCH", s, "=======", r, ">>>>>>> REPLACE"]), "```"].join("\n");

const retry = (previousFiles: GeneratedFile[]): RetryContext => ({
  attempt: 2,
  strategy: "patch",
  previousFiles,
  failures: ["test (3.11): AssertionError: AirflowException not raised for a 404 answer"],
});

useNock();

describe("the edit format", () => {
  it("applied to the recorded files, the recorded edit reply gives exactly the recorded whole-file reply", () => {
    const files = currentFiles();
    const parsed = parseEdits(reply("weather-retry-edits.md"), files);
    expect(parsed.kind).toBe("edits");
    if (parsed.kind !== "edits") return;
    expect(parsed.edits.map((e) => `${e.index}:${e.role}`)).toEqual(["1:component", "2:component", "3:component", "4:test", "5:test"]);
    const applied = applyEdits(files, parsed.edits);
    expect(applied).toEqual({ ok: true, files: filesOf("weather-retry-files.md"), changed: ["component", "test"] });
  });

  it("a SEARCH that matches nothing, or several places, is an error naming the edit, the file and the lines", () => {
    const files = currentFiles();
    const missing = parseEdits(edit("component", [["        if response.status_code > 499:", "        pass"]]), files);
    expect(missing.kind === "edits" && applyEdits(files, missing.edits)).toEqual({
      ok: false,
      reason:
        'edit 1 for file=component (weather_fetch_operator.py): the SEARCH starting "if response.status_code > 499:" matches nothing; it must repeat the current lines exactly, indentation included',
    });
    const repeated: GeneratedFile[] = [{ role: "component", path: "weather_fetch_operator.py", content: "retries = 3\nprint(retries)\nretries = 3\n" }];
    const twice = parseEdits(edit("component", [["retries = 3", "retries = 5"]]), repeated);
    expect(twice.kind === "edits" && applyEdits(repeated, twice.edits)).toEqual({
      ok: false,
      reason:
        'edit 1 for file=component (weather_fetch_operator.py): the SEARCH starting "retries = 3" matches 2 places; include more surrounding lines so it matches exactly one',
    });
    // Matched as whole lines: the end of `max_retries = 3` is not a match for `retries = 3`.
    const suffix: GeneratedFile[] = [{ role: "component", path: "weather_fetch_operator.py", content: "max_retries = 3\nretries = 3\n" }];
    const once = parseEdits(edit("component", [["retries = 3", "retries = 5"]]), suffix);
    expect(once.kind === "edits" && applyEdits(suffix, once.edits)).toMatchObject({ ok: true, files: [{ content: "max_retries = 3\nretries = 5\n" }] });
  });

  it("refuses malformed blocks, naming the block, the file and what was expected", () => {
    const files = currentFiles();
    expect(parseEdits("```edit file=readme\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```", files)).toEqual({
      kind: "invalid",
      reason: "edit block 1 (line 1) names file=readme, which is none of the files (component, test, dag)",
    });
    expect(parseEdits("Fix:\n\n```edit file=test\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n```", files)).toEqual({
      kind: "invalid",
      reason: 'edit 1 for file=test (edit block 1 (line 3)): ">>>>>>> REPLACE" before the "=======" line',
    });
    expect(parseEdits(`${edit("component", [["import json", "import json"]])}\n\n\`\`\`edit file=dag\nreplace the dag_id\n\`\`\``, files)).toEqual({
      kind: "invalid",
      reason: 'edit 2 for file=dag (edit block 2 (line 9)): expected "<<<<<<< SEARCH", found "replace the dag_id"',
    });
    expect(parseEdits("```edit file=component\n<<<<<<< SEARCH\n\n=======\nimport os\n>>>>>>> REPLACE\n```", files)).toMatchObject({
      kind: "invalid",
      reason: expect.stringContaining("edit 1 for file=component (edit block 1 (line 1)): the SEARCH section is empty"),
    });
    expect(parseEdits("```edit file=component\n<<<<<<< SEARCH\nimport json\n=======\n", files)).toEqual({
      kind: "invalid",
      reason: "edit block 1 (line 1) for file=component is not closed: the reply was cut off",
    });
  });

  it("names files by role or by file name; an edit reply without edits is whole files", () => {
    const files = currentFiles();
    const byName = parseEdits(edit("weather_fetch_operator.py", [["import json", "import json  # noqa"]]), files);
    expect(byName.kind === "edits" && byName.edits[0]?.role).toBe("component");
    expect(parseEdits(reply("weather-labeled.md"), files)).toEqual({ kind: "none" });
  });
});

describe("a patch retry with targeted edits", () => {
  it("asks for edits with the current files, applies the reply's edits and records the mode", async () => {
    let prompt = "";
    nock(API)
      .post("/v1/messages", (b: { messages: { content: string }[] }) => {
        prompt = b.messages[0]?.content ?? "";
        return true;
      })
      .reply(200, message(reply("weather-retry-edits.md")));
    const result = await generate(weatherSpec(), { learned: [], retry: retry(currentFiles()) }, anthropic(), { prices: DEFAULT_PRICES });
    expect(prompt).toContain("reply with targeted edits (format below)");
    expect(prompt).toContain("## Current files\nweather_fetch_operator.py:\n```python file=component\nfrom __future__ import annotations");
    expect(prompt).toContain("```edit file=component\n<<<<<<< SEARCH");
    expect(result).toMatchObject({ ok: true, replyMode: "edits", notes: ["5 targeted edit(s) applied to component, test"] });
    expect(result.ok && result.files).toEqual(filesOf("weather-retry-files.md"));
  });

  it("falls back to the whole files of a reply whose edits do not apply, and says why", async () => {
    const text = `${edit("component", [["        if response.status_code > 499:", "        pass"]])}\n\n${reply("weather-retry-files.md")}`;
    nock(API).post("/v1/messages").reply(200, message(text));
    const result = await generate(weatherSpec(), { learned: [], retry: retry(currentFiles()) }, anthropic(), { prices: DEFAULT_PRICES });
    expect(result).toMatchObject({ ok: true, replyMode: "files" });
    expect(result.ok && result.notes[0]).toContain("the reply's edits could not be applied (edit 1 for file=component (weather_fetch_operator.py)");
    expect(result.ok && result.files).toEqual(filesOf("weather-retry-files.md"));
  });

  it("edits that do not apply and no whole files: the next try asks for whole files", async () => {
    const prompts: string[] = [];
    const capture = (b: { messages: { content: string }[] }) => {
      prompts.push(b.messages[0]?.content ?? "");
      return true;
    };
    nock(API)
      .post("/v1/messages", capture)
      .reply(200, message(edit("test", [["def test_missing() -> None:", "def test_present() -> None:"]])))
      .post("/v1/messages", capture)
      .reply(200, message(reply("weather-retry-files.md")));
    const outcome = await runAttempts(weatherSpec(), { learned: [], retry: retry(currentFiles()) }, anthropic(), { prices: DEFAULT_PRICES, maxAttempts: 2 });
    expect(outcome.attempts.map((a) => (a.ok ? a.replyMode : a.kind))).toEqual(["bad_edit", "files"]);
    expect(outcome.attempts[0]).toMatchObject({
      reason: 'the reply\'s edits could not be applied: edit 1 for file=test (test_weather_fetch_operator.py): the SEARCH starting "def test_missing() -> None:" matches nothing; it must repeat the current lines exactly, indentation included',
    });
    expect(prompts[1]).toContain("reply with all three files in full");
    expect(prompts[1]).not.toContain("```edit file=component\n<<<<<<< SEARCH");
    expect(prompts[1]).toContain("- bad_edit: the reply's edits could not be applied");
  });
});
