import { createRequire } from "node:module";

/**
 * Real webhook payloads from `@octokit/webhooks-examples`. Tests clone one and patch the few fields the
 * scenario needs (installation, label name, merged, ...); each test says which fields it patched.
 */
interface ExampleGroup {
  name: string;
  actions: string[];
  examples: Array<Record<string, unknown> & { action?: string }>;
}

const require = createRequire(import.meta.url);
const groups = require("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];

export function webhookExample<T = Record<string, unknown>>(event: string, action: string, index = 0): T {
  const group = groups.find((g) => g.name === event);
  if (group === undefined) throw new Error(`no webhook examples for event ${event}`);
  const matching = group.examples.filter((e) => e.action === action);
  const example = matching[index];
  if (example === undefined) throw new Error(`no example ${index} of ${event}.${action} (have ${matching.length})`);
  return structuredClone(example) as T;
}
