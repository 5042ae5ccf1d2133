/**
 * `npm run docs:screenshots`: the dashboard's main views as PNG files under docs/, for the README. Runs the
 * dashboard over the seeded two-installation database used by the browser test, signs in through the fake
 * GitHub OAuth server, and photographs each view in Debian's Chromium.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../../src/store/database.js";
import { githubBases } from "../../src/web/auth/github-oauth.js";
import { ACME, SEED_NOW, seedDashboard } from "./dashboard-seed.js";
import { launchChromium, startDashboard } from "./dashboard-server.js";
import { startFakeGitHubOAuth } from "./fake-github-oauth.js";

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), "../../docs");

const db = openDatabase(":memory:");
await seedDashboard(db);
const github = await startFakeGitHubOAuth({ login: "maria", installations: [{ id: ACME.id, account: ACME.owner }] });
const dashboard = await startDashboard(db, () => SEED_NOW, {
  sessionSecret: "screenshots-session-secret-0123456789abcdef",
  dashboardToken: "screenshots",
  github: { clientId: github.clientId, clientSecret: github.clientSecret, ...githubBases({ GHE_HOST: new URL(github.base).host, GHE_PROTOCOL: "http" }) },
});
const chromium = await launchChromium({ width: 1280, height: 860 });
try {
  mkdirSync(DOCS, { recursive: true });
  const page = await chromium.context.newPage();
  await page.goto(`${dashboard.base}/dashboard/login`);
  await page.screenshot({ path: join(DOCS, "dashboard-login.png"), clip: { x: 0, y: 0, width: 640, height: 240 } });
  await page.getByRole("link", { name: "Sign in with GitHub" }).click();
  await page.waitForURL(`${dashboard.base}/dashboard`);
  await page.screenshot({ path: join(DOCS, "dashboard-installations.png"), clip: { x: 0, y: 0, width: 1280, height: 220 } });
  await page.getByRole("link", { name: ACME.owner }).click();
  await page.waitForFunction(() => document.querySelectorAll(".chart canvas").length === 5);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(DOCS, "dashboard-overview.png") });
  for (const [section, file] of [["#charts", "dashboard-charts.png"], ["#rules", "dashboard-rules.png"], ["#signatures", "dashboard-signatures.png"], ["#queue", "dashboard-queue.png"]] as const) {
    await page.locator(section).screenshot({ path: join(DOCS, file) });
  }
  console.log(`screenshots written to ${DOCS}`);
} finally {
  await chromium.close();
  await dashboard.close();
  await github.close();
  db.close();
}
