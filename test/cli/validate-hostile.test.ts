import { execFileSync } from "node:child_process";
import * as realFs from "node:fs";
import { chmodSync, chownSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { createChecker, readRegularFile, writeIfUnchanged } from "../../src/cli/validate-files.js";

/** Faults the file system can be told to show: a full disk on write, an edit made right after a file is read. */
const faults = vi.hoisted(() => ({
  fullDisk: false,
  editAfterRead: undefined as undefined | { path: string; text: string },
  calls: [] as string[],
}));

vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof realFs>();
  const wrapped = {
    ...fs,
    writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
      faults.calls.push("write");
      if (faults.fullDisk) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync,
    fsyncSync: ((fd: number) => {
      faults.calls.push("fsync");
      fs.fsyncSync(fd);
    }) as typeof fs.fsyncSync,
    renameSync: ((from: realFs.PathLike, to: realFs.PathLike) => {
      faults.calls.push("rename");
      fs.renameSync(from, to);
    }) as typeof fs.renameSync,
    readFileSync: ((...args: Parameters<typeof fs.readFileSync>) => {
      const out = (fs.readFileSync as (...a: unknown[]) => unknown)(...args);
      const edit = faults.editAfterRead;
      if (typeof args[0] === "number" && edit !== undefined) {
        faults.editAfterRead = undefined;
        fs.writeFileSync(edit.path, edit.text);
      }
      return out;
    }) as typeof fs.readFileSync,
  };
  return { ...wrapped, default: wrapped };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-validate-hostile-"));
  faults.fullDisk = false;
  faults.editAfterRead = undefined;
  faults.calls = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { stdout: (t) => void (out += t), stderr: (t) => void (err += t), cwd: dir, env: { OPFORGE_VALIDATE_WORKERS: "0" }, out: () => out, err: () => err };
}

/** A module with one fixable finding: yaml.load → yaml.safe_load. */
const FIXABLE = 'import yaml\n\n\ndef read(text):\n    return yaml.load(text)\n';

async function fix(path: string) {
  const check = await createChecker({ base: {}, cwd: dir, fix: true });
  return check({ abs: path, shown: path.slice(dir.length + 1) });
}

describe("--fix writes a file atomically (issue 10, item 6)", () => {
  it("a full disk while writing leaves the file as it was, whole, and no temporary file behind", async () => {
    const path = join(dir, "loader.py");
    writeFileSync(path, FIXABLE);
    faults.fullDisk = true;
    const outcome = await fix(path);
    expect(readFileSync(path, "utf8")).toBe(FIXABLE);
    expect(readdirSync(dir)).toEqual(["loader.py"]);
    expect("result" in outcome && outcome.result.notWritten).toBe("loader.py could not be rewritten (no space left on the device); it is unchanged");
  });

  it("the new content is synced before it is renamed over the file, which keeps its mode and owner", async () => {
    const path = join(dir, "loader.py");
    writeFileSync(path, FIXABLE);
    chmodSync(path, 0o640);
    const root = process.getuid?.() === 0;
    if (root) chownSync(path, 65534, 65534);
    const outcome = await fix(path);
    expect("result" in outcome && outcome.result.applied.map((a) => a.fixes ?? a.rule)).toEqual(["yaml-unsafe-load"]);
    expect(readFileSync(path, "utf8")).toContain("yaml.safe_load(text)");
    const order = faults.calls.filter((c) => c !== "write");
    expect(order.indexOf("fsync")).toBeLessThan(order.indexOf("rename"));
    const stat = statSync(path);
    expect(stat.mode & 0o777).toBe(0o640);
    if (root) expect([stat.uid, stat.gid]).toEqual([65534, 65534]);
  });
});

describe("--fix never overwrites an edit made while it ran (issue 10, item 7)", () => {
  it("a file changed between the read and the write is left with that change, and the command says so", async () => {
    const path = join(dir, "loader.py");
    writeFileSync(path, FIXABLE);
    const edited = `${FIXABLE}# edited meanwhile\n`;
    faults.editAfterRead = { path, text: edited };
    const io = capture();
    expect(await main(["validate", "--fix", "loader.py"], io)).toBe(1);
    expect(readFileSync(path, "utf8")).toBe(edited);
    expect(io.err()).toContain("opforge validate: loader.py changed while --fix ran; it was not rewritten, so that edit is kept (run --fix again)\n");
    expect(io.out()).not.toContain("fixed yaml-unsafe-load");
  });

  it("writeIfUnchanged compares size, modification time, inode and content", () => {
    const path = join(dir, "a.py");
    writeFileSync(path, "x = 1\n");
    const read = readRegularFile(path);
    if (!("bytes" in read)) throw new Error("not read");
    writeFileSync(path, "x = 2\n");
    expect(writeIfUnchanged(path, read.snapshot, Buffer.from("x = 3\n"))).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("x = 2\n");
  });
});

describe("encodings: PEP 263 coding lines, the BOM, strict decoding (issue 10, item 8)", () => {
  it("a latin-1 file with a coding line keeps every non-ASCII byte through --fix", async () => {
    const path = join(dir, "loader.py");
    const source = Buffer.concat([
      Buffer.from("# -*- coding: latin-1 -*-\n", "latin1"),
      Buffer.from('GREETING = "caf\u00e9 \u00fcber"  # \u00e9t\u00e9\n', "latin1"),
      Buffer.from(FIXABLE, "latin1"),
    ]);
    writeFileSync(path, source);
    const io = capture();
    await main(["validate", "--fix", "loader.py"], io);
    const after = readFileSync(path);
    expect(after.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false);
    expect(after.toString("latin1")).toContain('GREETING = "caf\u00e9 \u00fcber"  # \u00e9t\u00e9\n');
    expect(after.toString("latin1")).toContain("yaml.safe_load(text)");
    expect(io.out()).toContain("fixed yaml-unsafe-load");
  });

  it("a UTF-8 file with a BOM keeps its BOM through --fix", async () => {
    const path = join(dir, "loader.py");
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`NAME = "na\u00efve"\n${FIXABLE}`, "utf8")]));
    await main(["validate", "--fix", "loader.py"], capture());
    const after = readFileSync(path);
    expect([...after.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(after.subarray(3).toString("utf8")).toContain('NAME = "na\u00efve"\nimport yaml');
    expect(after.toString("utf8")).toContain("yaml.safe_load(text)");
  });

  it("non-UTF-8 bytes without a coding line are CPython's SyntaxError, and --fix leaves the file alone", async () => {
    const path = join(dir, "loader.py");
    const bytes = Buffer.concat([Buffer.from(FIXABLE, "utf8"), Buffer.from('NAME = "caf\u00e9"\n', "latin1")]);
    writeFileSync(path, bytes);
    const io = capture();
    expect(await main(["validate", "--fix", "loader.py"], io)).toBe(1);
    expect(io.out()).toContain(
      "loader.py:6:12: error [syntax-error] SyntaxError: Non-UTF-8 code starting with '\\xe9' on line 6, but no encoding declared; see https://peps.python.org/pep-0263/ for details\n",
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("an unknown declared encoding is named", async () => {
    writeFileSync(join(dir, "odd.py"), "# coding: klingon-8\nx = 1\n");
    const io = capture();
    expect(await main(["validate", "odd.py"], io)).toBe(1);
    expect(io.out()).toContain("odd.py:1:1: error [syntax-error] SyntaxError: unknown encoding: klingon-8\n");
  });
});

describe("non-regular files are refused, never read (issue 10, item 12)", () => {
  const hasMkfifo = (() => {
    try {
      execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasMkfifo)("validate and spec check on a FIFO answer at once with a clear message", async () => {
    execFileSync("mkfifo", [join(dir, "pipe.py")]);
    execFileSync("mkfifo", [join(dir, "spec.yaml")]);
    const io = capture();
    expect(await main(["validate", "pipe.py"], io)).toBe(2);
    expect(io.err()).toBe("opforge validate: cannot read pipe.py: a named pipe (FIFO), not a regular file; name a .py file\n");
    const spec = capture();
    expect(await main(["spec", "check", "spec.yaml"], spec)).not.toBe(0);
    expect(spec.err() + spec.out()).toContain("a named pipe (FIFO), not a regular file");
    // The checker itself, handed a FIFO directly, does not block either.
    expect(readRegularFile(join(dir, "pipe.py"))).toEqual({ unreadable: "a named pipe (FIFO), not a regular file; name a .py file" });
  }, 10_000);
});

describe("the size limit has its own rule, and costs nothing past it (issue 10, item 13)", () => {
  it("a valid 6 MB module is reported under file-too-large, and --fix on it leaves it alone", async () => {
    const path = join(dir, "big.py");
    const source = "x = 1\n".repeat(1_000_000);
    writeFileSync(path, source);
    const io = capture();
    expect(await main(["validate", "--fix", "big.py"], io)).toBe(1);
    expect(io.out()).toContain(
      "big.py:1:1: error [file-too-large] not analysed: the file has 6,000,000 characters; opforge analyses files up to 5,000,000; split the module or check it with other tools\n",
    );
    expect(io.out()).not.toContain("[syntax-error]");
    expect(readFileSync(path, "utf8")).toBe(source);
  });

  it("a file past the read limit is judged from its size, without being read", async () => {
    const path = join(dir, "huge.py");
    const fd = openSync(path, "w");
    realFs.ftruncateSync(fd, 30_000_000);
    closeSync(fd);
    const io = capture();
    expect(await main(["validate", "huge.py"], io)).toBe(1);
    expect(io.out()).toContain("huge.py:1:1: error [file-too-large] not analysed: the file has 30,000,000 bytes; opforge reads files up to 20,000,000");
  });
});
