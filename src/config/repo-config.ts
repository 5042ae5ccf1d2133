import { z } from "zod";
import { isUnderGithubDir, pathProblem } from "../github/paths.js";

/**
 * `.github/opforge.yml` of a repository that installs the app, read through Probot's `context.config`.
 * Every key is optional; a repository without the file gets these defaults.
 */
const directory = z
  .string()
  .min(1)
  // `./plugins//x/` is `plugins/x`: the checks below see the path as it will be written.
  .transform((p) => p.replace(/^(?:\.\/+)+/, "").replace(/\/{2,}/g, "/").replace(/\/+$/, ""))
  .superRefine((p, ctx) => {
    // Judged when the configuration is read, the same way (case-insensitively) as at publish time, so a
    // path that could never be written fails before the model is paid.
    const problem =
      p === "" ? "path is empty" : (pathProblem(p) ?? (isUnderGithubDir(p) ? "path lies under .github/ (in any letter case)" : undefined));
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: `must be a relative directory inside the repository: ${problem}` });
    }
  })
  .transform((p) => `${p}/`);

export const repoConfigSchema = z
  .object({
    label: z.string().min(1).max(50).default("generate-operator"),
    paths: z
      .object({
        operators: directory.default("plugins/operators/"),
        sensors: directory.default("plugins/sensors/"),
        hooks: directory.default("plugins/hooks/"),
        tests: directory.default("tests/operators/"),
        dags: directory.default("dags/examples/"),
      })
      .strict()
      .default({
        operators: "plugins/operators/",
        sensors: "plugins/sensors/",
        hooks: "plugins/hooks/",
        tests: "tests/operators/",
        dags: "dags/examples/",
      }),
    max_attempts: z.number().int().min(1).max(10).default(3),
    auto_retry: z.boolean().default(true),
    provider: z.enum(["anthropic", "openai-compatible", "scaffold"]).optional(),
    model: z.string().min(1).optional(),
    airflow_version: z
      .union([z.enum(["2", "3", "both"]), z.literal(2).transform(() => "2" as const), z.literal(3).transform(() => "3" as const)])
      .optional(),
    // Monthly model spend per installation in USD; `none` turns the limit off (and with it the refusal of
    // models that have no price). 0 allows only what costs nothing: the scaffold.
    budget_usd: z
      .union([z.number().min(0), z.literal("none").transform(() => null)], {
        error: "must be a number of USD (0 or more), or none to turn the budget off",
      })
      .default(50),
    // Whose learned knowledge a generation in this repository uses. `repository` (the default): only what
    // this repository taught, so a private repository's code, rules and names never appear in another
    // repository's PR. `installation`: what every repository of the same installation taught. Nothing ever
    // crosses installations.
    learning: z
      .object({ share: z.enum(["repository", "installation"]).default("repository") })
      .strict()
      .default({ share: "repository" }),
  })
  .strict();

export type RepoConfig = z.output<typeof repoConfigSchema>;

export type RepoConfigResult = { ok: true; config: RepoConfig } | { ok: false; errors: string[] };

export function parseRepoConfig(raw: unknown): RepoConfigResult {
  const parsed = repoConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `.github/opforge.yml: ${path}: ${issue.message}`;
    }),
  };
}

export const defaultRepoConfig: RepoConfig = repoConfigSchema.parse({});
