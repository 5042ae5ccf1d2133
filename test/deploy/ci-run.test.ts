/**
 * .ci/run must fail, loudly, when PostgreSQL or Redis cannot be started: the suite's PostgreSQL and Redis
 * tests are the only check of the scale-out pieces, and a CI that went on without them would pass blind.
 * The servers' tools are replaced by stubs on PATH (the real servers are shared and stay untouched); `npm`
 * is stubbed too, so a script that went on too far would be caught without reinstalling anything.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const script = new URL("../../.ci/run", import.meta.url).pathname;
let bin: string;

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), "opforge-ci-stubs-"));
});
afterEach(() => rmSync(bin, { recursive: true, force: true }));

function stub(name: string, body: string): void {
  const path = join(bin, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
}

function run(): { status: number | null; stderr: string; stdout: string } {
  stub("npm", 'echo "npm $*" ; exit 99');
  stub("psql", 'echo "psql $*" ; exit 0');
  const result = spawnSync("bash", [script], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
    timeout: 15_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe(".ci/run", () => {
  it("fails naming PostgreSQL when it does not answer and cannot be started", () => {
    stub("pg_isready", "exit 2");
    stub("pg_ctlcluster", 'echo "cluster start failed" >&2; exit 1');
    const result = run();
    expect(result.status).toBe(1);
    // Which message depends on whether this machine has a cluster configured under /etc/postgresql.
    expect(result.stderr).toMatch(/\.ci\/run: PostgreSQL (\S+ main did not start|is not answering on 127\.0\.0\.1:5432 and no cluster is configured)/);
    expect(result.stdout).not.toMatch(/npm/);
  });

  it("fails naming Redis when it does not answer and cannot be started", () => {
    stub("pg_isready", "exit 0");
    stub("redis-cli", 'echo "Could not connect to Redis" >&2; exit 1');
    stub("redis-server", "exit 1");
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\.ci\/run: redis-server did not start/);
    expect(result.stdout).not.toMatch(/npm/);
  });

  it("starts a Redis that is not answering with the documented flags, then makes and drops a throwaway database around npm", () => {
    stub("pg_isready", "exit 0");
    const flag = join(bin, "redis-started");
    stub("redis-cli", `[ -f ${flag} ] && echo PONG`);
    stub("redis-server", `echo "redis-server $*" > ${flag}`);
    const result = run();
    // The npm stub fails with 99: the script stops there and the trap drops the database.
    expect(result.status).toBe(99);
    expect(spawnSync("cat", [flag], { encoding: "utf8" }).stdout.trim()).toBe(
      "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save  --appendonly no",
    );
    const created = /psql .*-c CREATE DATABASE (opforge_ci_\w+)/.exec(result.stdout)?.[1];
    expect(created).toBeDefined();
    expect(result.stdout).toContain(`npm ci`);
    expect(result.stdout).toContain(`-c DROP DATABASE IF EXISTS ${created} WITH (FORCE)`);
    expect(result.stdout.indexOf("npm ci")).toBeLessThan(result.stdout.indexOf("DROP DATABASE"));
  });
});
