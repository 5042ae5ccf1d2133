import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const codeCache = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "code-cache.js")).href;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-code-cache-"));
  writeFileSync(join(dir, "sum.cjs"), "exports.sum = (...values) => values.reduce((a, b) => a + b, 0);\nexports.where = () => __filename;\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Loads sum.cjs through the code cache in a new process (V8 flags `flags` set first), saves, and reports. */
function load(flags: string[] = []): { cache: string; sum: number; where: string } {
  const script = `
    import { setFlagsFromString } from "node:v8";
    for (const flag of ${JSON.stringify(flags)}) setFlagsFromString(flag);
    const { loadWithCodeCache } = await import(${JSON.stringify(codeCache)});
    const { exports, cache, save } = loadWithCodeCache(${JSON.stringify(join(dir, "sum.cjs"))});
    const sum = exports.sum(1, 2, 3);
    save();
    console.log(JSON.stringify({ cache, sum, where: exports.where() }));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as { cache: string; sum: number; where: string };
}

describe("loadWithCodeCache", () => {
  const cacheFile = (): string => join(dir, "sum.cjs.v8-cache");

  it("makes the cache on the first run and starts from it on the next, leaving it as it was", () => {
    expect(load()).toEqual({ cache: "none", sum: 6, where: join(dir, "sum.cjs") });
    const made = statSync(cacheFile());
    expect(made.size).toBeGreaterThan(0);
    expect(load()).toEqual({ cache: "accepted", sum: 6, where: join(dir, "sum.cjs") });
    expect(statSync(cacheFile()).mtimeMs).toBe(made.mtimeMs);
  });

  it("compiles around a damaged cache and replaces it", () => {
    writeFileSync(cacheFile(), "damaged");
    expect(load().cache).toBe("rejected");
    expect(readFileSync(cacheFile(), "utf8")).not.toBe("damaged");
    expect(load().cache).toBe("accepted");
  });

  it("is refused under other V8 flags, which is why the CLI sets its flags before loading", () => {
    load(["--liftoff-only"]);
    expect(load().cache).toBe("rejected");
    expect(load(["--liftoff-only"]).cache).toBe("rejected");
    expect(load(["--liftoff-only"]).cache).toBe("accepted");
  });

  it("notices a changed bundle", () => {
    load();
    writeFileSync(join(dir, "sum.cjs"), "exports.sum = (...values) => values.length;\nexports.where = () => 'elsewhere';\n");
    expect(load()).toEqual({ cache: "rejected", sum: 3, where: "elsewhere" });
  });
});
