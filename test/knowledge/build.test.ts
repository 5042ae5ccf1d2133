/**
 * The knowledge-base builder on a small Airflow-shaped tree (test/fixtures/knowledge): v1 in the 2.x layout
 * (providers inside `airflow/providers`), v2 in the main layout (`task-sdk/`, `providers/<id>/src/`),
 * committed at two tags of a throwaway git repository, so that every fact carries a two-version mask.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KbIndex, KbModule } from "../../src/knowledge/format.js";
import { kbIndexSchema, kbShardSchema } from "../../src/knowledge/format.js";
import type { BuildResult } from "../../src/knowledge/build/build.js";
import { buildKnowledgeBase } from "../../src/knowledge/build/build.js";
import { DEFAULT_DATA_DIR, DEFAULT_SOURCE, parseArgs } from "../../src/knowledge/build/cli.js";
import { openKnowledgeBase } from "../../src/knowledge/kb.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "knowledge");

let work: string;
let gitDir: string;
let outDir: string;
let result: BuildResult;
let index: KbIndex;
const modules = new Map<string, KbModule>();
const commits: string[] = [];

function git(args: string[]): string {
  return execFileSync("git", ["-c", "user.name=opforge", "-c", "user.email=opforge@example.com", "-c", "commit.gpgsign=false", ...args], {
    cwd: join(work, "repo"),
    encoding: "utf8",
  }).trim();
}

function mod(name: string): KbModule {
  const m = modules.get(name);
  if (!m) throw new Error(`no module ${name}`);
  return m;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "opforge-kb-"));
  const repo = join(work, "repo");
  execFileSync("git", ["init", "-q", repo]);
  for (const tag of ["v1", "v2"]) {
    for (const entry of readdirSync(repo)) if (entry !== ".git") rmSync(join(repo, entry), { recursive: true, force: true });
    cpSync(join(FIXTURES, tag), repo, { recursive: true });
    git(["add", "-A"]);
    git(["commit", "-q", "-m", tag]);
    git(["tag", tag]);
    commits.push(git(["rev-parse", "HEAD"]));
  }
  gitDir = join(repo, ".git");
  outDir = join(work, "data");
  // Left over from an earlier build: a shard that no longer exists goes, the constraints stay.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "gone.json.gz"), "x");
  writeFileSync(join(outDir, "constraints.json.gz"), "kept");
  result = await buildKnowledgeBase({
    gitDir,
    outDir,
    versions: [
      { id: "1.0", major: "2", ref: "v1" },
      { id: "2.0", major: "3", ref: "v2" },
    ],
  });
  index = kbIndexSchema.parse(JSON.parse(readFileSync(join(outDir, "index.json"), "utf8")));
  for (const shard of Object.keys(index.shards)) {
    const data = kbShardSchema.parse(JSON.parse(gunzipSync(readFileSync(join(outDir, `${shard}.json.gz`))).toString("utf8")));
    expect(data.shard).toBe(shard);
    for (const [name, m] of Object.entries(data.modules)) modules.set(name, m);
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("index", () => {
  it("lists the versions with refs, commits and the release of airflow/__init__.py", () => {
    expect(index.versions).toEqual([
      { id: "1.0", major: "2", ref: "v1", commit: commits[0], release: "2.9.0" },
      { id: "2.0", major: "3", ref: "v2", commit: commits[1], release: "3.0.0.dev0" },
    ]);
  });

  it("shards core by subpackage, the SDK and each provider; skipped trees and namespace packages are not modules", () => {
    expect(index.shards).toEqual({
      acme: [
        "airflow.providers.acme",
        "airflow.providers.acme.hooks",
        "airflow.providers.acme.hooks.acme",
        "airflow.providers.acme.operators",
        "airflow.providers.acme.operators.acme",
      ],
      core: ["airflow"],
      "core.example_dags": ["airflow.example_dags"],
      "core.exceptions": ["airflow.exceptions"],
      "core.hooks": ["airflow.hooks", "airflow.hooks.base", "airflow.hooks.base_hook"],
      "core.models": ["airflow.models", "airflow.models.baseoperator", "airflow.models.dag"],
      "core.operators": ["airflow.operators", "airflow.operators.new", "airflow.operators.old"],
      "core.utils": ["airflow.utils", "airflow.utils.compat", "airflow.utils.deprecation_tools", "airflow.utils.helpers", "airflow.utils.lazy"],
      sdk: ["airflow.sdk", "airflow.sdk.definitions", "airflow.sdk.definitions.baseoperator"],
    });
  });

  it("claims completeness for the packages it read whole, not for airflow itself (www and example_dags are skipped)", () => {
    expect(index.complete).toEqual([
      "airflow.exceptions",
      "airflow.hooks",
      "airflow.models",
      "airflow.operators",
      "airflow.providers.acme",
      "airflow.sdk",
      "airflow.utils",
    ]);
  });

  it("writes the files atomically and replaces stale shards, leaving constraints it did not build", () => {
    const files = readdirSync(outDir).sort();
    expect(files).toEqual([
      "NOTICE.md",
      "acme.json.gz",
      "constraints.json.gz",
      "core.example_dags.json.gz",
      "core.exceptions.json.gz",
      "core.hooks.json.gz",
      "core.json.gz",
      "core.models.json.gz",
      "core.operators.json.gz",
      "core.utils.json.gz",
      "index.json",
      "index.sha256",
      "sdk.json.gz",
    ]);
    expect(readFileSync(join(outDir, "constraints.json.gz"), "utf8")).toBe("kept");
    expect(result.files.map((f) => f.name).sort()).toEqual(files.filter((f) => f !== "constraints.json.gz"));
    const notice = readFileSync(join(outDir, "NOTICE.md"), "utf8");
    expect(notice).toContain("Apache License, Version 2.0");
    expect(notice).toContain(`ref \`v1\`, commit \`${commits[0]}\``);
    expect(notice).toContain("The Apache Software Foundation");
  });
});

describe("shard digests", () => {
  /** A copy of the built KB to tamper with. */
  function copyOfKb(): string {
    const dir = mkdtempSync(join(work, "copy-"));
    cpSync(outDir, dir, { recursive: true });
    return dir;
  }

  it("the index holds each shard's SHA-256, and a reader serves the modules of a shard that matches it", () => {
    expect(Object.keys(index.digests ?? {}).sort()).toEqual(Object.keys(index.shards).sort());
    const kb = openKnowledgeBase(outDir);
    expect(kb.module("airflow.providers.acme.hooks.acme")?.names.AcmeHook).toBeDefined();
  });

  it("a shard changed after it was built is refused, naming the file", () => {
    const dir = copyOfKb();
    const path = join(dir, "acme.json.gz");
    const shard = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as { modules: Record<string, KbModule> };
    delete shard.modules["airflow.providers.acme.hooks.acme"]?.names.AcmeHook;
    writeFileSync(path, gzipSync(JSON.stringify(shard)));
    expect(() => openKnowledgeBase(dir).module("airflow.providers.acme.hooks.acme")).toThrow(`knowledge base shard ${path} does not match its digest in index.json`);
  });

  it("an index changed after it was built is refused; without its digest file the index is checked against the schema", () => {
    const dir = copyOfKb();
    const indexPath = join(dir, "index.json");
    writeFileSync(indexPath, JSON.stringify({ ...index, complete: [...index.complete, "airflow.providers.other"] }));
    expect(() => openKnowledgeBase(dir)).toThrow(`knowledge base index ${indexPath} does not match ${join(dir, "index.sha256")}`);
    rmSync(join(dir, "index.sha256"));
    expect(openKnowledgeBase(dir).covers("airflow.providers.other.hooks.x")).toBe(true);
    writeFileSync(indexPath, JSON.stringify({ ...index, versions: "all" }));
    expect(() => openKnowledgeBase(dir)).toThrow(`knowledge base index ${indexPath} is malformed`);
  });

  it("without digests (a KB built before them) each module is checked against the schema as it is read", () => {
    const dir = copyOfKb();
    rmSync(join(dir, "index.sha256"));
    const indexPath = join(dir, "index.json");
    const withoutDigests = { ...index, digests: undefined };
    writeFileSync(indexPath, JSON.stringify(withoutDigests));
    const path = join(dir, "acme.json.gz");
    const shard = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as { modules: Record<string, { v: unknown }> };
    const entry = shard.modules["airflow.providers.acme.hooks.acme"];
    if (entry) entry.v = "all";
    writeFileSync(path, gzipSync(JSON.stringify(shard)));
    const kb = openKnowledgeBase(dir);
    expect(() => kb.module("airflow.providers.acme.hooks.acme")).toThrow("module airflow.providers.acme.hooks.acme is malformed at v");
    expect(kb.module("airflow.providers.acme")).toBeDefined();
  });
});

describe("modules and names", () => {
  it("a module in one version only carries that version's bit", () => {
    expect(mod("airflow.operators.old").v).toBe(1);
    expect(mod("airflow.sdk").v).toBe(2);
    expect(mod("airflow.models").v).toBe(3);
  });

  it("re-exports point to the defining module; __all__ is recorded", () => {
    expect(mod("airflow.models")).toEqual({
      v: 3,
      all: [{ v: 3, names: ["BaseOperator", "DAG"] }],
      names: {
        BaseOperator: [{ v: 3, k: "class", from: "airflow.models.baseoperator.BaseOperator" }],
        DAG: [{ v: 3, k: "class", from: "airflow.models.dag.DAG" }],
      },
    });
  });

  it("lazy imports served by a module __getattr__ are names (deprecated where flagged); TYPE_CHECKING imports are not", () => {
    const airflow = mod("airflow");
    expect(airflow.open).toBeUndefined();
    expect(airflow.names.DAG).toEqual([{ v: 3, k: "class", from: "airflow.models.dag.DAG" }]);
    expect(airflow.names.AirflowException).toEqual([
      { v: 3, k: "class", from: "airflow.exceptions.AirflowException", deprecated: "airflow.exceptions.AirflowException" },
    ]);
    // Imported only under TYPE_CHECKING: absent at run time.
    expect(mod("airflow.models.baseoperator").names.DAG).toBeUndefined();
    expect(mod("airflow.models.baseoperator").names.Context).toBeUndefined();
    const sdk = mod("airflow.sdk");
    expect(sdk.names.BaseOperator).toEqual([{ v: 2, k: "class", from: "airflow.sdk.definitions.baseoperator.BaseOperator" }]);
    expect(sdk.names.Context).toBeUndefined();
    expect(sdk.all).toEqual([{ v: 2, names: ["BaseOperator", "Context"] }]);
  });

  it("guards: both branches of try/except bind → sure; only the try or an if → guarded; star imports follow __all__", () => {
    expect(mod("airflow.utils.compat").names).toEqual({
      annotations: [{ v: 3, k: "import", from: "__future__.annotations" }],
      batched: [{ v: 3, k: "import", from: "itertools.batched", guarded: true }],
      chunks: [{ v: 3, k: "function", from: "airflow.utils.helpers.chunks" }],
      loads: [{ v: 3, k: "import", from: "json.loads" }],
      sys: [{ v: 3, k: "module", from: "sys" }],
      ujson: [{ v: 3, k: "module", from: "ujson", guarded: true }],
    });
    // Private names are never listed; public names outside __all__ are.
    expect(Object.keys(mod("airflow.utils.helpers").names)).toEqual(["chunks", "not_exported"]);
  });

  it("a module __getattr__ that serves anything makes the module open", () => {
    expect(mod("airflow.utils.lazy")).toEqual({ v: 3, open: 3, names: {} });
  });

  it("the top package of a skipped tree exists, with undecided names", () => {
    expect(mod("airflow.example_dags")).toEqual({ v: 3, open: 3, names: {} });
    expect(modules.has("airflow.example_dags.example_dag")).toBe(false);
  });
});

describe("classes", () => {
  it("keeps __init__, public methods with decorator markers, attributes and the literals opforge reads", () => {
    expect(mod("airflow.models.baseoperator").names.BaseOperator).toEqual([
      {
        v: 3,
        k: "class",
        cls: {
          bases: [],
          init: ["self", "task_id: str", "*", "retries: int = 0", "dag: DAG | None = None", "**kwargs: Any"],
          methods: {
            execute: ["self", "context: Context"],
            dag_id: ["@property", "self"],
            partial: ["@classmethod", "cls", "**kwargs"],
            xcom_push: ["@staticmethod", "key: str", 'value: Any = "a very long default value that goes on and on beyond sixty…'],
          },
          attrs: {
            template_fields: "()",
            template_ext: "()",
            ui_color: '"#fff"',
            shallow_copy_attrs: "",
            task_id: "",
            retries: "",
            partial_kwargs: "",
            internal_state: "",
          },
        },
      },
    ]);
  });

  it("resolves bases across modules, per version (try: airflow.sdk / except ImportError: airflow.models)", () => {
    const acme = mod("airflow.providers.acme.operators.acme");
    expect(acme.names.BaseOperator).toEqual([
      { v: 1, k: "class", from: "airflow.models.baseoperator.BaseOperator" },
      { v: 2, k: "class", from: "airflow.sdk.definitions.baseoperator.BaseOperator" },
    ]);
    expect(acme.names.AcmeOperator?.map((x) => [x.v, x.cls?.bases])).toEqual([
      [1, ["airflow.models.baseoperator.BaseOperator"]],
      [2, ["airflow.sdk.definitions.baseoperator.BaseOperator"]],
    ]);
    // A relative import resolved against the package.
    expect(acme.names.AcmeHook).toEqual([{ v: 3, k: "class", from: "airflow.providers.acme.hooks.acme.AcmeHook" }]);
    // Through a package re-export to the definition.
    expect(mod("airflow.operators.new").names.NewOperator?.[0]?.cls?.bases).toEqual(["airflow.models.baseoperator.BaseOperator"]);
  });

  it("keeps a private class only because a listed class inherits from it", () => {
    const names = mod("airflow.operators.new").names;
    expect(names.MixedOperator?.[0]?.cls?.bases).toEqual(["airflow.operators.new._Mixin", "airflow.operators.new.NewOperator"]);
    expect(names._Mixin).toEqual([{ v: 3, k: "class", cls: { bases: [], methods: { mixin_method: ["self"] }, attrs: {} } }]);
    expect(Object.keys(names).filter((n) => n.startsWith("_"))).toEqual(["_Mixin"]);
  });

  it("hook attributes, a class __getattr__, and an __init__ that changed between versions", () => {
    expect(mod("airflow.providers.acme.hooks.acme").names.AcmeHook).toEqual([
      {
        v: 3,
        k: "class",
        cls: {
          bases: ["airflow.hooks.base.BaseHook"],
          init: ["self", "acme_conn_id: str = default_conn_name"],
          methods: { get_conn: ["self"] },
          attrs: {
            conn_name_attr: '"acme_conn_id"',
            default_conn_name: '"acme_default"',
            conn_type: '"acme"',
            hook_name: '"Acme"',
            acme_conn_id: "",
          },
          open: true,
        },
      },
    ]);
    expect(mod("airflow.hooks.base").names.BaseHook?.map((x) => [x.v, x.cls?.init])).toEqual([
      [1, ["self", "logger_name: str | None = None"]],
      [2, ["self", "*", "logger_name: str | None = None"]],
    ]);
  });
});

describe("deprecations", () => {
  it("__deprecated_classes shims become alias modules whose names point to the replacement", () => {
    expect(mod("airflow.hooks.base_hook")).toEqual({
      v: 3,
      movedTo: [{ v: 3, to: "airflow.hooks.base" }],
      names: { BaseHook: [{ v: 3, k: "class", from: "airflow.hooks.base.BaseHook", deprecated: "airflow.hooks.base.BaseHook" }] },
    });
  });

  it("@deprecated classes and classes whose __init__ warns", () => {
    const names = mod("airflow.operators.new").names;
    expect(names.OldOperator?.[0]?.deprecated).toBe("Use NewOperator.");
    expect(names.WarnOperator?.[0]?.deprecated).toBe("WarnOperator is deprecated. Please use `airflow.operators.new.NewOperator`.");
    expect(names.NewOperator?.[0]?.deprecated).toBeUndefined();
    expect(names.NewOperator?.[0]?.cls?.attrs.template_fields).toBe('("sql", "params")');
  });

  it("a module-level deprecation warning moves the module to the path it names", () => {
    expect(mod("airflow.operators.old").movedTo).toEqual([{ v: 1, to: "airflow.operators.new" }]);
  });
});

describe("cli", () => {
  it("defaults to the four Airflow refs and the shipped data directory", () => {
    const parsed = parseArgs(["/repo"]);
    expect(parsed).toMatchObject({ gitDir: "/repo", outDir: DEFAULT_DATA_DIR, constraints: true, source: DEFAULT_SOURCE });
    expect(typeof parsed !== "string" && parsed.versions.map((v) => `${v.id}=${v.ref}:${v.major}`)).toEqual([
      "2.9=2.9.3:2",
      "2.10=2.10.3:2",
      "2.11=2.11.1-develop:2",
      "3.0=main:3",
    ]);
    expect(existsSync(DEFAULT_DATA_DIR)).toBe(true);
  });

  it("takes its own refs", () => {
    const parsed = parseArgs(["/repo", "--ref", "1.0=v1:2", "--ref", "2.0=v2", "--out", "/tmp/x", "--no-constraints"]);
    expect(parsed).toMatchObject({
      outDir: "/tmp/x",
      constraints: false,
      versions: [
        { id: "1.0", ref: "v1", major: "2" },
        { id: "2.0", ref: "v2", major: "2" },
      ],
    });
    expect(typeof parsed !== "string" && parsed.source).toBeUndefined();
    expect(parseArgs([])).toMatch(/^usage/);
  });
});
