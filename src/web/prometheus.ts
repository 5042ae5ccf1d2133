/**
 * Operational metrics in Prometheus' text format. Only counts, states, providers and models appear as labels:
 * no repository, installation account, spec or learned content, so the endpoint can be scraped by a monitoring
 * system that is not trusted with what opforge learns.
 *
 * Figures that must survive a restart (jobs, queue depth, CI verdicts, model calls, tokens, cost) are gauges read
 * from the database at scrape time; what only this process sees (webhooks received) is a counter.
 */
import type { Kysely } from "kysely";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { Tables } from "../db/schema.js";

export interface OpsMetrics {
  readonly registry: Registry;
  /** One verified webhook delivery of `event` reached the handlers. */
  webhookReceived(event: string): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const JOB_STATES = ["queued", "running", "failed", "succeeded", "dead"] as const;
/** Jobs that are still to run: never started, waiting to retry, or running under a lease. */
const PENDING_STATES = ["queued", "failed", "running"] as const;

/** GitHub event names are short lowercase words; anything else is folded into one label value. */
function eventLabel(event: string): string {
  return /^[a-z_]{1,64}$/.test(event) ? event : "other";
}

export function createOpsMetrics(db: Kysely<Tables>, now: () => number, options: { processMetrics?: boolean } = {}): OpsMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "opforge_" });

  const webhooks = new Counter({
    name: "opforge_webhooks_received_total",
    help: "Verified webhook deliveries received by this process, by GitHub event.",
    labelNames: ["event"] as const,
    registers: [registry],
  });

  new Gauge({
    name: "opforge_jobs",
    help: "Jobs in the queue table by type and state (finished jobs are kept for the retention period).",
    labelNames: ["type", "state"] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom("jobs")
        .select((eb) => ["type", "status", eb.fn.countAll<number>().as("n")])
        .groupBy(["type", "status"])
        .execute();
      // Reset once the rows are in, so a scrape never sees the gauge half filled.
      this.reset();
      const types = new Set(rows.map((r) => r.type));
      // Every known state of every seen type is exported, 0 included, so a rate or alert never sees a missing series.
      for (const type of types) for (const state of JOB_STATES) this.set({ type, state: state === "succeeded" ? "done" : state }, 0);
      for (const r of rows) this.set({ type: r.type, state: r.status === "succeeded" ? "done" : r.status }, r.n);
    },
  });

  new Gauge({
    name: "opforge_queue_depth",
    help: "Jobs still to run: queued, waiting to retry, or running.",
    registers: [registry],
    async collect() {
      const row = await db.selectFrom("jobs").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "in", PENDING_STATES).executeTakeFirstOrThrow();
      this.set(row.n);
    },
  });

  new Gauge({
    name: "opforge_queue_oldest_job_age_seconds",
    help: "Age of the oldest job still to run; 0 when the queue is empty.",
    registers: [registry],
    async collect() {
      const row = await db.selectFrom("jobs").select((eb) => eb.fn.min<number | null>("created_at").as("oldest")).where("status", "in", PENDING_STATES).executeTakeFirstOrThrow();
      this.set(row.oldest === null ? 0 : Math.max(0, (now() - row.oldest) / 1000));
    },
  });

  type UsageRow = { provider: string; model: string; calls: number; input: number; output: number; cache_read: number; cache_write: number; cost: number };
  // Three gauges read the same totals; one scrape reads them once (render clears the copy around each scrape).
  let usageOfScrape: Promise<UsageRow[]> | undefined;
  const usage = (): Promise<UsageRow[]> =>
    (usageOfScrape ??= db
      .selectFrom("attempts as a")
      .innerJoin("generations as g", "g.id", "a.generation_id")
      .select((eb) => [
        "g.provider",
        "g.model",
        eb.fn.countAll<number>().as("calls"),
        eb.fn.sum<number>("a.input_tokens").as("input"),
        eb.fn.sum<number>("a.output_tokens").as("output"),
        eb.fn.sum<number>("a.cache_read_tokens").as("cache_read"),
        eb.fn.sum<number>("a.cache_write_tokens").as("cache_write"),
        eb.fn.sum<number>("a.cost_usd").as("cost"),
      ])
      .groupBy(["g.provider", "g.model"])
      .execute());

  new Gauge({
    name: "opforge_model_calls",
    help: "Generation attempts recorded (each one model call), by provider and model.",
    labelNames: ["provider", "model"] as const,
    registers: [registry],
    async collect() {
      const rows = await usage();
      this.reset();
      for (const r of rows) this.set({ provider: r.provider, model: r.model }, r.calls);
    },
  });

  new Gauge({
    name: "opforge_model_tokens",
    help: "Model tokens recorded, by provider, model and kind (input, output, cache_read, cache_write).",
    labelNames: ["provider", "model", "kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await usage();
      this.reset();
      for (const r of rows) {
        const labels = { provider: r.provider, model: r.model };
        this.set({ ...labels, kind: "input" }, r.input);
        this.set({ ...labels, kind: "output" }, r.output);
        this.set({ ...labels, kind: "cache_read" }, r.cache_read);
        this.set({ ...labels, kind: "cache_write" }, r.cache_write);
      }
    },
  });

  new Gauge({
    name: "opforge_model_cost_usd",
    help: "Model spend recorded in USD, by provider and model.",
    labelNames: ["provider", "model"] as const,
    registers: [registry],
    async collect() {
      const rows = await usage();
      this.reset();
      for (const r of rows) this.set({ provider: r.provider, model: r.model }, r.cost);
    },
  });

  new Gauge({
    name: "opforge_ci_verdicts",
    help: "CI verdicts read on generated pull requests, by conclusion and whether the failure was the base branch's.",
    labelNames: ["conclusion", "attributed_to_base"] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom("ci_results")
        .select((eb) => ["conclusion", "attributed_to_base", eb.fn.countAll<number>().as("n")])
        .groupBy(["conclusion", "attributed_to_base"])
        .execute();
      this.reset();
      for (const r of rows) this.set({ conclusion: r.conclusion, attributed_to_base: r.attributed_to_base === 1 ? "true" : "false" }, r.n);
    },
  });

  return {
    registry,
    webhookReceived: (event) => webhooks.inc({ event: eventLabel(event) }),
    render: async () => {
      usageOfScrape = undefined;
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        usageOfScrape = undefined;
      }
    },
  };
}
