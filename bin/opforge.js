#!/usr/bin/env node
// The CLI runs compiled JavaScript (compiled.js: built by npm's `prepare`, remade when a source changed),
// or, where that copy cannot be made, the TypeScript sources through tsx.
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
    // Compiled V8 code is cached only under the flags it was made with (code-cache.js): every validate run
    // starts with the WebAssembly baseline compiler that a one-file run uses, and runs over more files switch
    // it off before they load the grammar (src/cli/validate.ts).
    setFlagsFromString("--liftoff-only");
  }
  const { compiledCli } = await import("./compiled.js");
  const compiled = await compiledCli();
  if (compiled) {
    // `validate` loads only its own code, compiled from V8's code cache: its start-up counts when CI runs it
    // on a single file.
    if (argv[0] === "validate") {
      const { loadWithCodeCache } = await import("./code-cache.js");
      const { exports, save } = loadWithCodeCache(compiled.validateScript);
      const code = await exports.runValidate(argv.slice(1));
      // Only a run that kept the start-up flags can leave code V8 accepts next time.
      if (exports.chosenWasmTier() === "baseline") save();
      return code;
    }
    const { main } = await import(compiled.main);
    return main(argv);
  }
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../src/cli/main.ts");
  return main(argv);
}

process.exitCode = await run();
