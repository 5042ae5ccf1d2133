/**
 * Operational metrics in Prometheus' text format. Only counts, states, providers and models appear as labels:
 * no repository, installation account, spec or learned content, so the endpoint can be scraped by a monitoring
 * system that is not trusted with what opforge learns.
 *
 * Figures that must survive a restart (jobs, queue depth, CI verdicts, model calls, tokens, cost) are gauges read
 * from the database at scrape time; what only this process sees (webhooks received) is a counter.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { Database } from "../store/database.js";

export interface OpsMetrics {
  readonly registry: Registry;
  /** One verified webhook delivery of `event` reached the handlers. */
  webhookReceived(event: string): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const JOB_STATES = ["queued", "running", "failed", "succeeded", "dead"] as const;
/** Jobs that are still to run: never started, waiting to retry, or running under a lease. */
const PENDING_STATES = "('queued', 'failed', 'running')";

/** GitHub event names are short lowercase words; anything else is folded into one label value. */
function eventLabel(event: string): string {
  return /^[a-z_]{1,64}$/.test(event) ? event : "other";
}

export function createOpsMetrics(db: Database, now: () => number, options: { processMetrics?: boolean } = {}): OpsMetrics {
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
    collect() {
      this.reset();
      const rows = db.prepare("SELECT type, status, COUNT(*) AS n FROM jobs GROUP BY type, status").all() as { type: string; status: string; n: number }[];
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
    collect() {
      this.set((db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status IN ${PENDING_STATES}`).get() as { n: number }).n);
    },
  });

  new Gauge({
    name: "opforge_queue_oldest_job_age_seconds",
    help: "Age of the oldest job still to run; 0 when the queue is empty.",
    registers: [registry],
    collect() {
      const row = db.prepare(`SELECT MIN(created_at) AS oldest FROM jobs WHERE status IN ${PENDING_STATES}`).get() as { oldest: number | null };
      this.set(row.oldest === null ? 0 : Math.max(0, (now() - row.oldest) / 1000));
    },
  });

  type UsageRow = { provider: string; model: string; calls: number; input: number; output: number; cache_read: number; cache_write: number; cost: number };
  // Three gauges read the same totals; one scrape reads them once (render clears the copy around each scrape).
  let usageOfScrape: UsageRow[] | undefined;
  const usage = (): UsageRow[] =>
    (usageOfScrape ??= db
      .prepare(
        `SELECT g.provider, g.model, COUNT(*) AS calls, SUM(a.input_tokens) AS input, SUM(a.output_tokens) AS output,
                SUM(a.cache_read_tokens) AS cache_read, SUM(a.cache_write_tokens) AS cache_write, SUM(a.cost_usd) AS cost
           FROM attempts a JOIN generations g ON g.id = a.generation_id
          GROUP BY g.provider, g.model`,
      )
      .all() as UsageRow[]);

  new Gauge({
    name: "opforge_model_calls",
    help: "Generation attempts recorded (each one model call), by provider and model.",
    labelNames: ["provider", "model"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of usage()) this.set({ provider: r.provider, model: r.model }, r.calls);
    },
  });

  new Gauge({
    name: "opforge_model_tokens",
    help: "Model tokens recorded, by provider, model and kind (input, output, cache_read, cache_write).",
    labelNames: ["provider", "model", "kind"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of usage()) {
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
    collect() {
      this.reset();
      for (const r of usage()) this.set({ provider: r.provider, model: r.model }, r.cost);
    },
  });

  new Gauge({
    name: "opforge_ci_verdicts",
    help: "CI verdicts read on generated pull requests, by conclusion and whether the failure was the base branch's.",
    labelNames: ["conclusion", "attributed_to_base"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const rows = db
        .prepare("SELECT conclusion, attributed_to_base, COUNT(*) AS n FROM ci_results GROUP BY conclusion, attributed_to_base")
        .all() as { conclusion: string; attributed_to_base: number; n: number }[];
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
