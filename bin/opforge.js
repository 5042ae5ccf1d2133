#!/usr/bin/env node
// The CLI runs the TypeScript sources, so that no build step stands between `npm ci` and use: through tsx,
// or for `opforge validate`, whose start-up counts when CI runs it over many files, from a copy compiled on
// first use and kept while the sources stay as they are (compiled.js).
import { setFlagsFromString } from "node:v8";

const argv = process.argv.slice(2);

async function run() {
  if (argv[0] === "validate") {
    // A validate run lives a few seconds. V8's default is to optimise a function as soon as it is warm, and
    // the validator's rules are large functions each optimised (and re-optimised) once per thread: over
    // hundreds of files that compiling cost about a third of the run's CPU time. A larger interrupt budget
    // waits for functions that are really hot; set before any of the validator is loaded, it holds for the
    // worker threads too (V8's flags are per process).
    setFlagsFromString("--interrupt-budget=1000000");
    const { compiledValidate } = await import("./compiled.js");
    const compiled = await compiledValidate();
    if (compiled) {
      // As under tsx, stack traces name the TypeScript sources.
      process.setSourceMapsEnabled(true);
      // What main() does for `validate`: the command with the rest of the arguments and the process's io.
      const [{ processIo }, { validateCommand }] = await Promise.all([import(compiled.io), import(compiled.validate)]);
      return validateCommand(argv.slice(1), processIo());
    }
  }
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../src/cli/main.ts");
  return main(argv);
}

process.exitCode = await run();
