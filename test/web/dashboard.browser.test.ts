/**
 * The dashboard in Debian's Chromium: sign in through a local fake of GitHub's OAuth flow (laid out as GitHub
 * Enterprise Server), see only the user's installation, find the plots drawn, trust and discard rules, requeue a
 * dead job; the dashboard token sees every installation.
 */
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJob } from "../../src/jobs/queue.js";
import { getRule } from "../../src/learn/fixes/store.js";
import { installationScope } from "../../src/learn/scope.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { githubBases } from "../../src/web/auth/github-oauth.js";
import { ACME, OTHER, SEED_NOW, seedDashboard, type Seeded } from "../support/dashboard-seed.js";
import { launchChromium, startDashboard, type RunningDashboard } from "../support/dashboard-server.js";
import { startFakeGitHubOAuth, type FakeGitHubOAuth } from "../support/fake-github-oauth.js";

const TOKEN = "dashboard-token-for-the-browser-test";

let db: Database;
let seeded: Seeded;
let github: FakeGitHubOAuth;
let dashboard: RunningDashboard;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  db = openDatabase(":memory:");
  seeded = await seedDashboard(db);
  github = await startFakeGitHubOAuth({ login: "alice", installations: [{ id: ACME.id, account: ACME.owner }] });
  const host = new URL(github.base).host;
  dashboard = await startDashboard(db, () => SEED_NOW, {
    sessionSecret: "a-session-secret-of-forty-characters-xx",
    dashboardToken: TOKEN,
    github: { clientId: github.clientId, clientSecret: github.clientSecret, ...githubBases({ GHE_HOST: host, GHE_PROTOCOL: "http" }) },
  });
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await dashboard?.close();
  await github?.close();
  db?.close();
});

/** Coloured pixels of each chart's canvas: the series' lines and points (axes, grid and labels are grey). */
async function seriesPixels(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const counts: Record<string, number> = {};
    document.querySelectorAll<HTMLElement>(".chart").forEach((chart) => {
      const canvas = chart.querySelector("canvas");
      const name = chart.dataset.chart ?? "?";
      if (canvas === null) {
        counts[name] = -1;
        return;
      }
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r = 0, g = 0, b = 0, a = 0] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
      }
      counts[name] = n;
    });
    return counts;
  });
}

describe("the dashboard in a browser", () => {
  it("signs a GitHub user in and shows only the installations GitHub lists for them, with the plots drawn", async () => {
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${dashboard.base}/dashboard`);
    expect(github.requests).toEqual(["GET /login/oauth/authorize", "POST /login/oauth/access_token", "GET /api/v3/user", "GET /api/v3/user/installations"]);
    await expect.poll(() => page.locator("header .who span").textContent()).toBe("alice");
    const links = await page.locator("ul.installations a").allTextContents();
    expect(links).toEqual([ACME.owner]);
    // Weeks 0 to 3 of the seed: 5 + 5 + 4 + 4 specs with PRs and two without; 16 merged; 4 + 4 + 3 + 2 first
    // attempts passed of 20 decided; one dead job.
    expect(await page.locator("ul.installations .summary").textContent()).toBe("20 specs, 16 merged, first-attempt success 65% in the last 4 weeks; 1 dead job");

    const cookies = await chromium.context.cookies();
    const session = cookies.find((c) => c.name === "opforge_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });

    await page.getByRole("link", { name: ACME.owner }).click();
    await page.waitForURL(`${dashboard.base}/dashboard/installations/${ACME.id}`);
    await page.waitForFunction(() => document.querySelectorAll(".chart canvas").length === 5);
    // uPlot draws on the next frame after it creates a canvas.
    await expect.poll(async () => Math.min(...Object.values(await seriesPixels(page))), { timeout: 5_000 }).toBeGreaterThan(50);
    const pixels = await seriesPixels(page);
    expect(Object.keys(pixels).sort()).toEqual(["attemptsPerMerged", "costPerMerged", "firstAttempt", "funnel", "tokens"]);
    for (const [chart, n] of Object.entries(pixels)) expect(n, chart).toBeGreaterThan(50);

    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("Top failure signatures");
    expect(text).toContain("ModuleNotFoundError: No module named <module>");
    expect(text).toContain("spent in 2026-11, of $25.00 budget_usd");
    expect(await page.locator(`#rule-${seeded.acmeRules.trustMe}`).textContent()).toContain("acme/pipelines#17 9f1c2d3 by maria");
    expect(await page.locator("#libraries").textContent()).toContain("requests");
    // Nothing of the other installation: its account, repository, rules, errors, libraries.
    for (const other of ["globex", "Globex", "warehouse-secret", "globex-private-sdk"]) expect(text).not.toContain(other);
    await page.close();
  });

  it("trusts and discards rules and requeues a dead job, each recorded with the user's login", async () => {
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.base}/dashboard/installations/${ACME.id}`);
    const { trustMe, discardMe } = seeded.acmeRules;

    await page.locator(`#rule-${trustMe}`).getByRole("button", { name: "Trust" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe(`Rule ${trustMe} trusted.`);
    expect(await page.locator(`#rule-${trustMe} td`).nth(1).textContent()).toBe("trusted");
    expect((await getRule(kyselyOverStore(db), installationScope(ACME.id), trustMe))?.status).toBe("trusted");

    await page.locator(`#rule-${discardMe}`).getByRole("button", { name: "Discard" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe(`Rule ${discardMe} discarded.`);
    expect(await page.locator(`#rule-${discardMe} td`).nth(1).textContent()).toBe("discarded");

    await page.locator(`#job-${seeded.acmeDeadJob}`).getByRole("button", { name: "Requeue" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe(`Job ${seeded.acmeDeadJob} requeued.`);
    expect(await page.locator(`#job-${seeded.acmeDeadJob}`).count()).toBe(0);
    expect((await getJob(kyselyOverStore(db), seeded.acmeDeadJob))?.status).toBe("queued");

    const audit = await page.locator("#audit tbody tr").allTextContents();
    expect(audit).toEqual([
      expect.stringMatching(/alice.*github.*requeue job.*\d/),
      expect.stringMatching(/alice.*github.*discard rule/),
      expect.stringMatching(/alice.*github.*trust rule/),
    ]);
    await page.close();
  });

  it("keeps the other installation out of reach, by page and by form", async () => {
    const page = await chromium.context.newPage();
    const res = await page.goto(`${dashboard.base}/dashboard/installations/${OTHER.id}`);
    expect(res?.status()).toBe(404);
    expect(await page.locator("main").textContent()).not.toContain("globex");
    // A form aimed at the other installation's rule and job, with this session's own CSRF token, from this origin.
    await page.goto(`${dashboard.base}/dashboard/installations/${ACME.id}`);
    const statuses = await page.evaluate(async (targets) => {
      const csrf = document.querySelector<HTMLInputElement>("input[name=csrf]")?.value ?? "";
      const post = async (path: string) => (await fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `csrf=${encodeURIComponent(csrf)}` })).status;
      return [await post(targets.rule), await post(targets.job)];
    }, { rule: `/dashboard/installations/${OTHER.id}/rules/${seeded.otherRule}/trust`, job: `/dashboard/installations/${OTHER.id}/jobs/${seeded.otherDeadJob}/requeue` });
    expect(statuses).toEqual([404, 404]);
    expect((await getRule(kyselyOverStore(db), installationScope(OTHER.id), seeded.otherRule))?.status).toBe("candidate");
    expect((await getJob(kyselyOverStore(db), seeded.otherDeadJob))?.status).toBe("dead");
    // The API answers the same way.
    const api = await page.evaluate(async (id) => (await fetch(`/api/installations/${id}`)).status, OTHER.id);
    expect(api).toBe(404);
    await page.close();
  });

  it("lets the dashboard token sign in through the form and see every installation", async () => {
    await chromium.context.clearCookies();
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.base}/dashboard/login`);
    await page.getByLabel("Dashboard token").fill("wrong");
    await page.getByRole("button", { name: "Sign in with the token" }).click();
    await expect.poll(() => page.locator("[role=alert]").textContent()).toBe("That token is not the dashboard token.");
    await page.getByLabel("Dashboard token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in with the token" }).click();
    await page.waitForURL(`${dashboard.base}/dashboard`);
    expect(await page.locator("ul.installations a").allTextContents()).toEqual([ACME.owner, OTHER.owner]);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${dashboard.base}/dashboard/login`);
    expect((await chromium.context.cookies()).find((c) => c.name === "opforge_session")).toBeUndefined();
    await page.close();
  });
});
