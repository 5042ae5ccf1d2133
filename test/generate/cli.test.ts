import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import type { CliIo } from "../../src/cli/io.js";
import { SCAFFOLD_HEADER } from "../../src/generate/scaffold/index.js";
import { ANTHROPIC_API, hasPython, messagesReply, newestKbVersion, pyCompileErrors, recordedReply } from "./helpers.js";
import { useNock } from "../support/nock.js";

const EXAMPLE = new URL("../../examples/specs/http_operator.yaml", import.meta.url).pathname;
const API = ANTHROPIC_API;
const reply = recordedReply;

let dir: string;
function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    cwd: dir,
    env,
    out: () => out,
    err: () => err,
  };
}

const WEATHER_SPEC = `name: WeatherFetchOperator
description: Fetches the weather for a city from a REST API.
component_type: operator
category: http
inputs:
  - name: city
    type: str
    required: true
    template_field: true
  - name: api_url
    type: str
    default: https://api.example.com/v1
  - name: timeout
    type: int
    default: 30
  - name: headers
    type: Optional[Dict[str, str]]
    default: {}
`;

const message = (text: string) => messagesReply(text, { input_tokens: 2000, output_tokens: 1500, cache_creation_input_tokens: 1600, cache_read_input_tokens: 0 });

useNock();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-generate-cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("opforge generate", () => {
  it("prints its usage with --help", async () => {
    const io = capture();
    expect(await generateCommand(["--help"], io)).toBe(0);
    expect(io.out()).toContain("Usage: opforge generate <spec.yaml> [--out DIR] [--provider P] [--model M] [--max-attempts N]");
  });

  it.each([
    [[], "missing the spec file"],
    [["a.yaml", "b.yaml"], "expected one spec file, got 2"],
    [["a.yaml", "--max-attempts", "0"], '--max-attempts must be a whole number from 1 to 10, got "0"'],
    [["a.yaml", "--max-attempts", "two"], '--max-attempts must be a whole number from 1 to 10, got "two"'],
    [["a.yaml", "--provider", "gemini"], 'unknown provider "gemini": valid providers are anthropic, openai-compatible, scaffold'],
    [["a.yaml", "--provider", "anthropic"], "set ANTHROPIC_API_KEY"],
    [["a.yaml", "--frobnicate"], "Unknown option '--frobnicate'"],
    [["a.yaml", "--budget-usd", "five"], '--budget-usd must be an amount of USD such as 0.50, got "five"'],
  ])("exits 2 for %j", async (argv, message) => {
    const io = capture();
    expect(await generateCommand(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain("Usage: opforge generate");
  });

  it("exits 1 and prints the findings for an invalid spec", async () => {
    writeFileSync(join(dir, "bad.yaml"), "name: WeatherFetcher\ndescription: Fetches weather.\ncomponent_type: operatorz\n");
    const io = capture();
    expect(await generateCommand(["bad.yaml"], io)).toBe(1);
    expect(io.err()).toContain("opforge generate: bad.yaml is not a valid component spec:");
    expect(io.err()).toMatch(/bad\.yaml:3: error: component_type: /);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("exits 1 naming a spec file that does not exist", async () => {
    const io = capture();
    expect(await generateCommand(["missing.yaml"], io)).toBe(1);
    expect(io.err()).toBe('opforge generate: cannot read spec file "missing.yaml": no such file\n');
  });

  it("writes a labeled scaffold when no model is configured", async () => {
    const io = capture();
    expect(await generateCommand([EXAMPLE, "--out", "build"], io)).toBe(0);
    const lines = io.out().split("\n");
    expect(lines.slice(1, 3)).toEqual(["provider: scaffold (scaffold: no model was called)", "model: scaffold"]);
    expect(io.out()).toContain("attempt 1: ok in 0.0 s; tokens 0 in, 0 out, 0 cache read, 0 cache write; $0.0000");
    // The Airflow API facts of the prompt, with the knowledge-base version they were read from.
    const kb = newestKbVersion();
    expect(io.out()).toContain(
      [
        `airflow api facts in the prompt (Airflow ${kb.id}, ${kb.ref} @ ${kb.commit}):`,
        "  BaseOperator: from airflow.sdk import BaseOperator | from airflow.models.baseoperator import BaseOperator; methods execute",
        '  HttpHook: from airflow.providers.http.hooks.http import HttpHook; connection http_conn_id="http_default"; methods ',
      ].join("\n"),
    );
    expect(io.out()).toContain(
      [
        "files written (scaffold: complete the TODOs):",
        "  build/plugins/operators/http_api_operator.py",
        "  build/tests/operators/test_http_api_operator.py",
        "  build/dags/examples/http_api_operator_example_dag.py",
        "tokens: 0 in, 0 out, 0 cache read, 0 cache write",
        "cost: $0.0000",
      ].join("\n"),
    );
    const written = [
      "plugins/operators/http_api_operator.py",
      "tests/operators/test_http_api_operator.py",
      "dags/examples/http_api_operator_example_dag.py",
    ].map((path) => ({ path, content: readFileSync(join(dir, "build", path), "utf8") }));
    for (const file of written) expect(file.content.startsWith(SCAFFOLD_HEADER)).toBe(true);
    expect(written[1]?.content).toContain("from operators.http_api_operator import HttpApiOperator\n");
    if (hasPython) expect(pyCompileErrors(written)).toEqual([]);
  });

  it("retries a model reply with the wrong class and writes the second reply's files", async () => {
    writeFileSync(join(dir, "weather.yaml"), WEATHER_SPEC);
    nock(API, { reqheaders: { authorization: "Bearer sk-ant-cli" } })
      .post("/v1/messages")
      .reply(200, message(reply("weather-wrong-class.md")))
      .post("/v1/messages", (body: { messages: { content: string }[] }) => body.messages[0]?.content.includes("# Retry: attempt 2") ?? false)
      .reply(200, message(reply("weather-labeled.md")));
    const io = capture({ ANTHROPIC_API_KEY: "sk-ant-cli", OPFORGE_MODEL_MAX_RETRIES: "0" });
    expect(await generateCommand(["weather.yaml"], io)).toBe(0);
    const out = io.out();
    expect(out).toContain("provider: anthropic\nmodel: claude-sonnet-5-5\n");
    expect(out).toMatch(/attempt 1: failed \(wrong_class\) in \d+\.\d s; tokens 2000 in, 1500 out, 0 cache read, 1600 cache write; \$0\.0230\n/);
    expect(out).toContain("  reason: the component class is named WeatherOperator; the spec names it WeatherFetchOperator\n");
    expect(out).toMatch(/attempt 2: ok in \d+\.\d s;/);
    expect(out).toContain("tokens: 4000 in, 3000 out, 0 cache read, 3200 cache write\ncost: $0.0460\n");
    const component = readFileSync(join(dir, "out/plugins/operators/weather_fetch_operator.py"), "utf8");
    expect(component).toContain("from airflow.providers.http.hooks.http import HttpHook");
    expect(component).not.toContain(SCAFFOLD_HEADER);
  });

  it("exits 1 without writing when every attempt fails", async () => {
    writeFileSync(join(dir, "weather.yaml"), WEATHER_SPEC);
    nock(API)
      .post("/v1/messages")
      .reply(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    const io = capture({ ANTHROPIC_API_KEY: "sk-ant-wrong", OPFORGE_MODEL_MAX_RETRIES: "0" });
    expect(await generateCommand(["weather.yaml", "--max-attempts", "3"], io)).toBe(1);
    expect(io.out()).toContain("attempt 1: failed (provider_error)");
    expect(io.out()).toContain("  reason: Anthropic API returned 401 authentication_error: invalid x-api-key\n");
    expect(io.out()).not.toContain("attempt 2");
    expect(io.err()).toBe("opforge generate: all 1 attempt(s) failed; no files written\n");
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("--budget-usd stops the retry whose worst case no longer fits, before it is sent", async () => {
    writeFileSync(join(dir, "weather.yaml"), WEATHER_SPEC);
    nock(API).post("/v1/messages").reply(200, message(reply("weather-wrong-class.md")));
    const retry = nock(API).post("/v1/messages").reply(200, message(reply("weather-labeled.md")));
    const io = capture({ ANTHROPIC_API_KEY: "sk-ant-cli", OPFORGE_MODEL_MAX_RETRIES: "0" });
    expect(await generateCommand(["weather.yaml", "--budget-usd", "0.10", "--no-record"], io)).toBe(1);
    expect(retry.isDone()).toBe(false);
    nock.cleanAll();
    expect(io.out()).toContain("budget: $0.1000 for this run\n");
    expect(io.out()).toMatch(/attempt 1: failed \(wrong_class\) in \d+\.\d s; tokens 2000 in, 1500 out, 0 cache read, 1600 cache write; \$0\.0230\n/);
    expect(io.out()).not.toContain("attempt 2");
    expect(io.err()).toMatch(
      /^opforge generate: the run's budget \(--budget-usd\) does not cover the next model call: it may cost up to \$0\.\d{4} \(claude-sonnet-5-5\), and of the \$0\.1000 limit \$0\.0230 is spent and \$0\.0000 is reserved by calls in flight, leaving \$0\.0770\. The call was not made; raise --budget-usd\.\nno files written\n$/,
    );
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("--budget-usd refuses a model without a price unless OPFORGE_PRICES gives one", async () => {
    writeFileSync(join(dir, "weather.yaml"), WEATHER_SPEC);
    const env = { OPFORGE_OPENAI_BASE_URL: "http://localhost:11434/v1", OPFORGE_MODEL: "llama3.1:8b" };
    const refused = capture(env);
    expect(await generateCommand(["weather.yaml", "--budget-usd", "1", "--no-record"], refused)).toBe(1);
    expect(refused.err()).toContain('opforge generate: model "llama3.1:8b" has no known price, so its calls cannot be counted against the run\'s budget (--budget-usd); the call was not made.');
    expect(refused.err()).toContain("or run without --budget-usd.");

    nock("http://localhost:11434")
      .post("/v1/chat/completions")
      .reply(200, { model: "llama3.1:8b", choices: [{ message: { content: reply("weather-labeled.md") }, finish_reason: "stop" }], usage: { prompt_tokens: 3000, completion_tokens: 1000 } });
    const priced = capture({ ...env, OPFORGE_PRICES: '{"llama3.1:8b": {"input": 0, "output": 0}}' });
    expect(await generateCommand(["weather.yaml", "--budget-usd", "1", "--no-record"], priced)).toBe(0);
    expect(priced.out()).toContain("cost: $0.0000\n");
  });

  it("says the cost is unknown for a model without a price", async () => {
    writeFileSync(join(dir, "weather.yaml"), WEATHER_SPEC);
    nock("http://localhost:11434")
      .post("/v1/chat/completions")
      .reply(200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1764030000,
        model: "llama3.1:8b",
        choices: [{ index: 0, message: { role: "assistant", content: reply("weather-labeled.md") }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3000, completion_tokens: 1000, total_tokens: 4000 },
      });
    const io = capture({ OPFORGE_OPENAI_BASE_URL: "http://localhost:11434/v1", OPFORGE_MODEL: "llama3.1:8b" });
    expect(await generateCommand(["weather.yaml", "--out", join(dir, "abs")], io)).toBe(0);
    expect(io.out()).toContain("provider: openai-compatible\nmodel: llama3.1:8b\n");
    expect(io.out()).toContain("price unknown");
    expect(io.out()).toContain('cost: unknown (no price for model "llama3.1:8b"; add it to OPFORGE_PRICES)');
    expect(existsSync(join(dir, "abs/plugins/operators/weather_fetch_operator.py"))).toBe(true);
  });
});
