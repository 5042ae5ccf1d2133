// Runs a CommonJS bundle of the compiled CLI through V8's code cache. Node 20 caches no compiled code for
// ES modules, so every run parses and compiles the same JavaScript again: for `opforge validate one.py` that
// was most of what the run spent before it read the file. A vm.Script given the bytes V8 produced after an
// earlier run starts with those functions already compiled.
//
// V8 accepts cached bytes only under the flags they were made with, so a run sets its flags before the script
// is compiled (opforge.js) and keeps the cache only when it ended with those flags unchanged (`keep`). The
// cache sits beside the bundle, in the build directory, so a new build starts a new cache; one V8 rejects
// (another Node version, a damaged file) is compiled as usual and replaced.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";

/**
 * Loads `file` (a CommonJS module) compiled with its cached code when there is some. Returns its exports,
 * what became of the cache (`none`, `accepted` or `rejected`), and `save`, which stores the code compiled by
 * then for the next run when the cache was missing or rejected.
 */
export function loadWithCodeCache(file) {
  const cacheFile = `${file}.v8-cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet: this run makes it.
  }
  // The wrapper stays on the first line, so line numbers in stack traces are the bundle's own.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "utf8")}\n})`;
  // No import() in such a script: on Node 20 a script compiled from cached code cannot import() at all
  // ("A dynamic import callback was not specified"), so compiled.js bundles with import() made into require().
  const script = new vm.Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const cache = cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted";
  const save = () => {
    if (cache === "accepted") return;
    const temporary = `${cacheFile}.${process.pid}.${Date.now()}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      // A build directory that cannot be written to only means no cache.
      rmSync(temporary, { force: true });
    }
  };
  return { exports: module.exports, cache, save };
}
