/** The dashboard and /metrics on a local port over a given database, and Chromium driven by playwright-core. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Database } from "../../src/store/database.js";
import type { DashboardConfig } from "../../src/web/dashboard/config.js";
import { dashboardRoutes } from "../../src/web/dashboard/router.js";
import { createOpsMetrics } from "../../src/web/prometheus.js";
import { webRoutes } from "../../src/web/routes.js";

export interface RunningDashboard {
  base: string;
  close(): Promise<void>;
}

export async function startDashboard(db: Database, now: () => number, config: DashboardConfig): Promise<RunningDashboard> {
  // As the App does: Kysely over the store's own connection, which the caller closes.
  const kysely = kyselyOverStore(db);
  const routes = [webRoutes(kysely, createOpsMetrics(kysely, now, { processMetrics: false })), dashboardRoutes(kysely, now, config)];
  const server: Server = createServer((req, res) => {
    if (!routes.some((route) => route(req, res))) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const CHROMIUM = process.env.OPFORGE_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Debian's Chromium, headless, with a fresh profile directory (playwright passes it as --user-data-dir) that is
 * removed on close; never a downloaded browser.
 */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set OPFORGE_CHROMIUM`);
  const profile = mkdtempSync(join(tmpdir(), "opforge-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
