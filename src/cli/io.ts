import { redact, registerSecretsFromEnv } from "../config/redact.js";
import { printable } from "./printable.js";

/** What a CLI command may touch of its process, so tests run commands in-process and read what they print. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_USAGE = 2;

export type CliCommand = (argv: string[], io: CliIo) => Promise<number>;

/** The process's own streams: what is printed carries no secret and no raw control or bidirectional character. */
export function processIo(): CliIo {
  registerSecretsFromEnv(process.env);
  return {
    stdout: (text) => process.stdout.write(redact(printable(text))),
    stderr: (text) => process.stderr.write(redact(printable(text))),
    cwd: process.cwd(),
    env: process.env,
  };
}
