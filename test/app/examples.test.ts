import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getGenerationByIssue } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { R, commentsOn, useNockChecks } from "./helpers.js";

/** Every example spec of the project (and the issue form's body) goes through the app to a PR with the scaffold. */
const examplesDir = fileURLToPath(new URL("../../examples/specs/", import.meta.url));
const bodies: [string, string][] = [
  ...readdirSync(examplesDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f): [string, string] => [f, `Please generate this.\n\n\`\`\`yaml\n${readFileSync(`${examplesDir}${f}`, "utf8")}\`\`\`\n`]),
  ["issue form (test/fixtures/specs/issue-form.md)", readFileSync(fileURLToPath(new URL("../fixtures/specs/issue-form.md", import.meta.url)), "utf8")],
];

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => {
  app = undefined;
});

describe("example specs through the app", () => {
  it.each(bodies)("%s → a PR whose local validation has no errors", async (_name, body) => {
    if (app === undefined) throw new Error("no app");
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body, labels: ["generate-operator"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body }));
    await a.drain();

    const status = commentsOn(a, 7).map((c) => c.body);
    expect(status.join("\n")).not.toContain("cannot use this spec");
    expect(status.join("\n")).not.toContain("generation failed");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    const run = a.fake.calls("POST", `${R}/check-runs`)[0]?.body as { conclusion: string; output: { title: string } };
    expect(run.output.title).toMatch(/^(No findings|0 error\(s\), \d+ warning\(s\))$/);
    expect((await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7))?.status).toBe("ci_running");
  });
});
