/**
 * `opforge validate` as one CommonJS bundle (bin/compiled.js makes validate.cjs from this module), which
 * bin/code-cache.js runs through V8's code cache: a one-file run then starts without parsing and compiling
 * the validator's JavaScript again, which was most of what it spent before checking the file.
 */
import { processIo } from "./io.js";
import { chosenWasmTier, validateCommand } from "./validate.js";

export { chosenWasmTier };

export function runValidate(argv: string[]): Promise<number> {
  return validateCommand(argv, processIo());
}
