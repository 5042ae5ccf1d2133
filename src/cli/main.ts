import { redact, registerSecretsFromEnv } from "../config/redact.js";
import { printable } from "./printable.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, processIo, type CliCommand, type CliIo } from "./io.js";

interface CommandEntry {
  summary: string;
  load: () => Promise<CliCommand>;
}

// Commands load lazily so that `opforge spec check` does not pay for the model SDKs or tree-sitter.
const commands: Record<string, CommandEntry> = {
  generate: {
    summary: "generate an Airflow component (module, tests, example DAG) from a spec file",
    load: async () => (await import("./generate.js")).generateCommand,
  },
  validate: {
    summary: "check Python files for mistakes that make Airflow components fail (and --fix them)",
    load: async () => (await import("./validate.js")).validateCommand,
  },
  stats: {
    summary: "print the learning curve: first-attempt success, attempts, cost, errors, patterns, libraries",
    load: async () => (await import("./stats.js")).statsCommand,
  },
  learn: {
    summary: "learn fix BEFORE.py AFTER.py | learn history <repo>: learn rewrite rules from human fixes",
    load: async () => (await import("./learn.js")).learnCommand,
  },
  rules: {
    summary: "rules list|show|trust|discard: the rewrite rules learned from human fixes",
    load: async () => (await import("./rules.js")).rulesCommand,
  },
  jobs: {
    summary: "jobs list [--state S] | jobs requeue ID: the durable job queue, for operators",
    load: async () => (await import("./jobs.js")).jobsCommand,
  },
  db: {
    summary: "db migrate | db copy --from FILE --to URL: bring a database to the newest schema, move SQLite into PostgreSQL",
    load: async () => (await import("./db.js")).dbCommand,
  },
  spec: {
    summary: "spec check <spec.yaml>: print what is wrong with a component spec",
    load: async () => (await import("./spec-check.js")).specCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    "usage: opforge <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "Run `opforge <command> --help` for the options of a command.",
    "",
  ].join("\n");
}

export async function main(argv: string[], given: CliIo = processIo()): Promise<number> {
  // Whatever a command prints (a provider's error quoting a key included) goes out without secrets.
  registerSecretsFromEnv(given.env);
  const io: CliIo = {
    ...given,
    stdout: (text) => given.stdout(redact(printable(text))),
    stderr: (text) => given.stderr(redact(printable(text))),
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.stderr(`opforge: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  try {
    return await command(rest, io);
  } catch (error) {
    // A failure no command foresaw is still told in one line, never as a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`opforge ${name}: ${message.split("\n")[0] ?? ""}\n`);
    return EXIT_INVALID_INPUT;
  }
}
