import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../fixtures/ci/", import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(DIR + name, "utf8");
}

export function fixtureJson<T>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}
