// The compiled copy of the CLI's TypeScript sources: made by npm's `prepare` (so by `npm ci`), remade on first
// use when a source changed since, and reused while none did. Under tsx every module (and every package it
// imports) costs a round trip to the loader thread, most of a second of start-up for each process and for
// each worker thread of the validate pool; compiled into a few ES modules that Node loads by itself, the same
// code starts in a fraction of that. Packages stay in node_modules (imported as usual, see externalPackages);
// the project's sources are compiled with esbuild (what tsx compiles them with), each module seeing its
// source file's location as import.meta.url.
//
// The copy lives in node_modules/.cache/opforge as build-*/ directories beside a `current` file naming the
// newest; a build records its inputs' sizes and modification times and is used only while they all match.
// Anything that goes wrong makes the caller fall back to tsx.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Changes with what a build contains or how it is made, so that older builds are not taken for current. */
const FORMAT = 3;

/** Entry points; the key names the compiled module (`<key>.mjs`). */
const ENTRIES = {
  main: "src/cli/main.ts",
  "validate-worker": "src/cli/validate-worker.ts",
};

/**
 * `opforge validate` alone, bundled as one CommonJS file (`validate.cjs`) that code-cache.js runs through V8's
 * code cache: a one-file run's start-up is mostly compiling JavaScript, and Node 20 caches none for modules.
 */
const VALIDATE_SCRIPT = "src/cli/validate-script.ts";

/** What a build depends on besides the sources esbuild reports reading. */
// package-lock.json stands for the packages bundled in (zod's functional build): npm rewrites it whenever one of
// them changes, so their own files need not be checked one by one on every run.
const EXTRA_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", relative(ROOT, fileURLToPath(import.meta.url))];

/** Builds other than the current one are removed once this old (a process may still be loading from one). */
const STALE_MS = 60 * 60 * 1000;

/**
 * Inside the project, so that the compiled modules import packages from its node_modules as the sources do
 * (and so that no one but whoever can change the project can put code there).
 */
const CACHE = join(ROOT, "node_modules", ".cache", "opforge");

function fingerprint(path) {
  const info = statSync(join(ROOT, path));
  return [info.size, info.mtimeMs];
}

/** The build named by `<cache>/current` when every input it records is unchanged. */
function currentBuild(cache) {
  let name;
  try {
    name = readFileSync(join(cache, "current"), "utf8").trim();
  } catch {
    return undefined;
  }
  if (!/^build-[\w-]+$/.test(name)) return undefined;
  const dir = join(cache, name);
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    if (manifest.format !== FORMAT || manifest.root !== ROOT || !Array.isArray(manifest.inputs)) return undefined;
    for (const [path, size, mtime] of manifest.inputs) {
      const [nowSize, nowMtime] = fingerprint(path);
      if (nowSize !== size || nowMtime !== mtime) return undefined;
    }
  } catch {
    return undefined;
  }
  return dir;
}

/** esbuild, imported only when a build is needed: loading it costs more than a run that finds its build current. */
async function loadEsbuild() {
  return import("esbuild");
}

/** Replaces import.meta.url (and .dirname, .filename) by the source file's own, so that paths built on it still lead to the sources' neighbours. */
const sourceLocation = {
  name: "source-location",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const contents = text
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)))
        .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
      return { contents, loader: "ts" };
    });
  },
};

/**
 * Packages stay in node_modules, imported as usual, except zod's functional build and its English messages,
 * which the validator's knowledge base uses: bundled in they are one small part of a file, where loaded from
 * node_modules they are dozens of modules, whose loading alone cost a short run more than checking a file.
 * (The full build, which only the spec's and the App's modules use, stays in node_modules.)
 */
const BUNDLED_IMPORTS = new Set(["zod/mini", "zod/v4/locales/en.js"]);

const externalPackages = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_IMPORTS.has(args.path) ? undefined : { path: args.path, external: true }));
  },
};

async function build(cache) {
  // Imported here: loading node:crypto costs every run that finds its build current a few milliseconds.
  const { randomBytes } = await import("node:crypto");
  mkdirSync(cache, { recursive: true });
  accessSync(cache, constants.W_OK);
  const esbuild = await loadEsbuild();
  const name = `build-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const dir = join(cache, name);
  const started = Date.now();
  try {
    // What both builds share: the project's sources compiled for Node 20, packages left in node_modules.
    const common = {
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      target: "node20",
      plugins: [sourceLocation, externalPackages],
      // Written beside each module for debuggers and `node --enable-source-maps`; not read on a normal run,
      // where reading them would cost every command's start-up more than a tenth of its time.
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      define: { OPFORGE_COMPILED_VALIDATE_WORKER: JSON.stringify(pathToFileURL(join(dir, "validate-worker.mjs")).href) },
    };
    const result = await esbuild.build({
      ...common,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([key, path]) => [key, join(ROOT, path)])),
      outdir: dir,
      outExtension: { ".js": ".mjs" },
      splitting: true,
      format: "esm",
    });
    if (result.errors.length > 0 || result.warnings.length > 0) throw new Error("compiling gave diagnostics");
    // Without splitting, the modules it imports by import() are bundled in and initialised only when
    // called, and packages outside it are required when first used, as in the modules above.
    const script = await esbuild.build({
      ...common,
      entryPoints: [join(ROOT, VALIDATE_SCRIPT)],
      outfile: join(dir, "validate.cjs"),
      format: "cjs",
      // A script compiled from V8's code cache cannot import() on Node 20 (code-cache.js): a package the
      // bundle imports by import() is required instead.
      supported: { "dynamic-import": false },
    });
    if (script.errors.length > 0 || script.warnings.length > 0) throw new Error("compiling validate.cjs gave diagnostics");
    const sources = [...Object.keys(result.metafile.inputs), ...Object.keys(script.metafile.inputs)]
      .map((p) => relative(ROOT, resolve(ROOT, p)))
      .filter((p) => !p.startsWith(`node_modules${sep}`));
    const paths = [...new Set([...sources, ...EXTRA_INPUTS])].sort();
    const inputs = paths.map((path) => [path, ...fingerprint(path)]);
    writeFileSync(join(dir, "manifest.json"), `${JSON.stringify({ format: FORMAT, root: ROOT, inputs }, null, 1)}\n`);
    // A source saved while compiling may or may not be in this build: use it this once, but do not publish it.
    if (inputs.every(([, , mtime]) => mtime < started)) {
      const pointer = join(cache, `current.${process.pid}.${randomBytes(4).toString("hex")}`);
      writeFileSync(pointer, `${name}\n`);
      renameSync(pointer, join(cache, "current"));
      removeStale(cache, name);
    }
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    // esbuild's service process would otherwise outlive the build (and, briefly, this process).
    await esbuild.stop();
  }
}

function removeStale(cache, keep) {
  const now = Date.now();
  for (const entry of readdirSync(cache)) {
    if (entry === keep || !/^build-|^current\./.test(entry)) continue;
    try {
      if (now - statSync(join(cache, entry)).mtimeMs > STALE_MS) rmSync(join(cache, entry), { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** The current build's directory, compiling it first when there is none; throws when that is not possible. */
async function ensureBuild() {
  return currentBuild(CACHE) ?? (await build(CACHE));
}

/**
 * The compiled CLI: `main`, its entry module's URL, and `validateScript`, the path of `opforge validate`'s
 * CommonJS bundle (run through code-cache.js); compiling them first when no current build exists;
 * undefined when that is not possible here (node_modules not writable, esbuild missing, a source that does
 * not compile): the caller then runs the sources through tsx, which reports a broken source as it always
 * has. OPFORGE_COMPILE=0 skips the compiled copy.
 */
export async function compiledCli() {
  if (process.env.OPFORGE_COMPILE === "0") return undefined;
  let dir;
  try {
    dir = await ensureBuild();
  } catch {
    return undefined;
  }
  const url = (key) => pathToFileURL(join(dir, `${key}.mjs`)).href;
  return { main: url("main"), validateScript: join(dir, "validate.cjs") };
}

// Run as a script (npm's `prepare`, so on every `npm ci` and `npm install`): compile now, so that no command
// pays for it on first use, and say so when it cannot.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  if (!existsSync(join(ROOT, ENTRIES.main))) {
    // Dependencies installed before the sources are there (a container image's dependency layer).
    console.log("opforge: no sources to compile yet");
    process.exit(0);
  }
  try {
    const dir = await ensureBuild();
    console.log(`opforge: CLI compiled to ${relative(ROOT, dir)} in ${Date.now() - started} ms`);
  } catch (error) {
    console.error(`opforge: could not compile the CLI (it will run its TypeScript sources through tsx): ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
