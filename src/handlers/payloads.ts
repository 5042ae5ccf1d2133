import { z } from "zod";

/**
 * The fields of each handled webhook that the handlers read, parsed at the edge: a payload that lacks one
 * (or is not an object at all) is answered 400 with a short reason instead of failing inside a handler.
 * Other fields pass through untouched; events and actions opforge does not handle are only required to be
 * JSON objects.
 */
const user = z.looseObject({ login: z.string(), type: z.string().optional() });
const repository = z.looseObject({ name: z.string().min(1), owner: z.looseObject({ login: z.string().min(1) }) });
const installation = z.looseObject({ id: z.number().int().positive() }).nullish();
const base = { repository, installation, sender: user };
const label = z.looseObject({ name: z.string() });
const issue = z.looseObject({
  number: z.number().int().positive(),
  body: z.string().nullish(),
  labels: z.array(label).nullish(),
  pull_request: z.unknown().optional(),
});
const headSha = z.string().min(1);

const issuesEvent = z.looseObject({
  ...base,
  issue,
  label: label.nullish(),
  changes: z.looseObject({ body: z.unknown().optional() }).optional(),
});

const schemas: Record<string, z.ZodType> = {
  "issues.opened": issuesEvent,
  "issues.labeled": issuesEvent,
  "issues.edited": issuesEvent.extend({ changes: z.looseObject({ body: z.unknown().optional() }) }),
  "issue_comment.created": z.looseObject({
    ...base,
    issue,
    comment: z.looseObject({ id: z.number().int().positive(), body: z.string(), user: user.nullable() }),
  }),
  "pull_request.closed": z.looseObject({
    ...base,
    pull_request: z.looseObject({
      number: z.number().int().positive(),
      merged: z.boolean().nullish(),
      merge_commit_sha: z.string().nullish(),
    }),
  }),
  "check_suite.completed": z.looseObject({ ...base, check_suite: z.looseObject({ id: z.number().int(), head_sha: headSha }) }),
  "check_run.completed": z.looseObject({
    ...base,
    check_run: z.looseObject({ id: z.number().int(), head_sha: headSha, name: z.string() }),
  }),
  "workflow_run.completed": z.looseObject({ ...base, workflow_run: z.looseObject({ id: z.number().int(), head_sha: headSha }) }),
};

export type PayloadCheck = { ok: true } | { ok: false; reason: string };

/** Whether `payload` of event `name` carries what opforge's handler for it reads; the reason names the first missing field. */
export function checkWebhookPayload(name: string, payload: unknown): PayloadCheck {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: "the payload is not a JSON object" };
  }
  const action = (payload as { action?: unknown }).action;
  const schema = schemas[typeof action === "string" ? `${name}.${action}` : name];
  if (schema === undefined) return { ok: true };
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true };
  const first = parsed.error.issues[0];
  const path = first === undefined || first.path.length === 0 ? "payload" : first.path.map(String).join(".");
  const what = first?.code === "invalid_type" && first.message.includes("undefined") ? "is missing" : "is not valid";
  return { ok: false, reason: `${name}${typeof action === "string" ? `.${action}` : ""}: ${path} ${what}`.slice(0, 200) };
}
