/**
 * docker-compose.yml cannot be started here (no Docker engine), so its contract is read from the file: two App
 * replicas built from the Dockerfile, PostgreSQL 15 and Redis 7, each with a health check, the replicas
 * waiting for healthy dependencies and configured with settings opforge actually reads.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readDatabaseConfig } from "../../src/db/config.js";

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
}

const file = readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8");
// merge: true resolves the `<<: *opforge` keys the way docker compose does.
const compose = parse(file, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const apps = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** Compose's `${VAR:?message}` and `${VAR}` with the values a deployment would give. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`compose variable ${name} is not set`);
    return v;
  });
}

describe("docker-compose.yml", () => {
  it("has two App replicas, PostgreSQL 15 and Redis 7", () => {
    expect(apps.map(([name]) => name).sort()).toEqual(["app-1", "app-2"]);
    expect(services.postgres?.image).toMatch(/^postgres:15(\.|-|$)/);
    expect(services.redis?.image).toMatch(/^redis:7(\.|-|$)/);
  });

  it("gives every service a health check that runs a real probe", () => {
    expect(services.postgres?.healthcheck?.test).toEqual(["CMD", "pg_isready", "-U", "opforge", "-d", "opforge"]);
    expect(services.redis?.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    for (const [name, app] of apps) {
      const test = app.healthcheck?.test ?? [];
      expect(test[0], name).toBe("CMD");
      expect(test.join(" "), name).toContain("http://127.0.0.1:3000/healthz");
    }
  });

  it("starts the replicas only once PostgreSQL and Redis are healthy", () => {
    for (const [name, app] of apps) {
      expect({ name, depends: app.depends_on }).toEqual({
        name,
        depends: { postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } },
      });
    }
  });

  it("points both replicas at the shared PostgreSQL and Redis with settings opforge accepts", () => {
    const pg = services.postgres?.environment ?? {};
    const vars = { POSTGRES_PASSWORD: "pw" };
    for (const [name, app] of apps) {
      const env = Object.fromEntries(Object.entries(app.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));
      const config = readDatabaseConfig(env);
      expect(config.dialect, name).toBe("postgres");
      const url = new URL(config.dialect === "postgres" ? config.url : "");
      expect([url.hostname, url.port, url.username, url.password, url.pathname], name).toEqual([
        "postgres",
        "5432",
        pg.POSTGRES_USER,
        interpolate(pg.POSTGRES_PASSWORD ?? "", vars),
        `/${pg.POSTGRES_DB}`,
      ]);
      expect(env.REDIS_URL, name).toBe("redis://redis:6379");
      expect(env.PORT, name).toBe("3000");
    }
    // Both replicas share one configuration; only their host port and data volume differ.
    const [a, b] = apps.map(([, s]) => s);
    expect(a?.environment).toEqual(b?.environment);
    expect(new Set(apps.map(([, s]) => s.ports?.[0])).size).toBe(2);
    expect(new Set(apps.map(([, s]) => s.volumes?.[0])).size).toBe(2);
  });

  it("requires the database password instead of shipping a default one", () => {
    expect(services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(() => interpolate(services.postgres?.environment?.POSTGRES_PASSWORD ?? "", {})).toThrow(/POSTGRES_PASSWORD/);
  });

  it("declares every named volume it mounts", () => {
    const mounted = Object.values(services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(":")[0] ?? "")
      .filter((v) => !v.startsWith(".") && !v.startsWith("/"));
    expect(mounted.length).toBeGreaterThan(0);
    for (const volume of mounted) expect(compose.volumes, volume).toHaveProperty(volume);
  });
});
