import { excerptOf, isLibraryPath, repoRelativePath, type LogLine } from "../log-text.js";
import { kindForException, parseExceptionLine } from "./exception.js";
import { failure, type Found, LineRanges } from "./found.js";

const LOCATION = /^(\S{1,1000}?\.py):(\d{1,9}):(?: (.*))?$/;
const E_LINE = /^E(?: +(.*))?$/;
const E_FILE = /^File "([^"]{1,1000})", line (\d{1,9})/;
const COUNTS = /\b(\d+) (failed|errors?)\b/;
const SECTION_PREFIXES = ["ERROR collecting ", "ERROR at setup of ", "ERROR at teardown of "];

interface Section {
  title: string;
  start: number;
  end: number;
}

interface SummaryEntry {
  outcome: "FAILED" | "ERROR";
  nodeId: string;
  message?: string;
  index: number;
}

export interface PytestReport {
  found: Found[];
  /** Line ranges holding pytest's report, which other parsers must not read again. */
  consumed: LineRanges;
  /** `N failed` / `N errors` from the closing line, when present. */
  failedCount?: number;
}

/** The inner text of a `==== text ====` banner line, or undefined. */
function bannerText(text: string): string | undefined {
  if (text.length < 7 || !text.startsWith("===") || !text.endsWith("===")) return undefined;
  let from = 0;
  let to = text.length;
  while (from < to && text[from] === "=") from++;
  while (to > from && text[to - 1] === "=") to--;
  return text.slice(from, to).trim();
}

/** The inner text of a `____ title ____` section header, or undefined. */
function sectionTitle(text: string): string | undefined {
  if (text.length < 9 || !text.startsWith("___") || !text.endsWith("___")) return undefined;
  let from = 0;
  let to = text.length;
  while (from < to && text[from] === "_") from++;
  while (to > from && text[to - 1] === "_") to--;
  const title = text.slice(from, to).trim();
  return title === "" ? undefined : title;
}

/** How a section title and a summary node id name the same test: `TestA.test_b[1]` or a module path. */
function testKey(title: string): string {
  for (const prefix of SECTION_PREFIXES) if (title.startsWith(prefix)) return title.slice(prefix.length).trim();
  return title;
}

function nodeKey(nodeId: string): string {
  const sep = nodeId.indexOf("::");
  return sep === -1 ? nodeId : nodeId.slice(sep + 2).replace(/::/g, ".");
}

function nodeFile(nodeId: string): string {
  const sep = nodeId.indexOf("::");
  return repoRelativePath(sep === -1 ? nodeId : nodeId.slice(0, sep));
}

/** pytest's report: `FAILURES` / `ERRORS` sections, the short test summary and the closing counts. */
export function parsePytest(lines: readonly LogLine[]): PytestReport {
  const sections: Section[] = [];
  const summary: SummaryEntry[] = [];
  const consumed = new LineRanges();
  let failedCount: number | undefined;
  let countsAt: { index: number; text: string } | undefined;
  let blockStart = -1;
  let current: Section | undefined;
  let inSummary = false;

  const closeSection = (end: number): void => {
    if (current) {
      current.end = end;
      sections.push(current);
      current = undefined;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    const banner = bannerText(text);
    if (banner !== undefined) {
      closeSection(i - 1);
      inSummary = false;
      if (banner === "FAILURES" || banner === "ERRORS") {
        if (blockStart === -1) blockStart = i;
      } else if (banner === "short test summary info") {
        if (blockStart === -1) blockStart = i;
        inSummary = true;
      } else {
        const counts = COUNTS.exec(banner);
        if (counts) {
          failedCount = (failedCount ?? 0) + Number(counts[1]);
          countsAt = { index: i, text: banner };
          if (blockStart !== -1) consumed.add(blockStart, i);
          blockStart = -1;
        }
      }
      continue;
    }
    if (inSummary) {
      const entry = summaryEntry(text, i);
      if (entry) {
        summary.push(entry);
        continue;
      }
      inSummary = false;
      if (blockStart !== -1) consumed.add(blockStart, i - 1);
      blockStart = -1;
    }
    if (blockStart !== -1) {
      const title = sectionTitle(text);
      if (title !== undefined) {
        closeSection(i - 1);
        current = { title, start: i, end: i };
      }
    } else if (/^\d+ failed\b/.test(text) || /^\d+ errors? in /.test(text)) {
      const counts = COUNTS.exec(text);
      if (counts) {
        failedCount = (failedCount ?? 0) + Number(counts[1]);
        countsAt = { index: i, text: text.trim() };
      }
    }
  }
  closeSection(lines.length - 1);
  if (blockStart !== -1) consumed.add(blockStart, lines.length - 1);

  const found = mergeReport(lines, sections, summary);
  // Run with `-rN` (or cut before the report), pytest leaves only its closing counts.
  if (found.length === 0 && countsAt && (failedCount ?? 0) > 0) {
    found.push({
      failure: failure({ kind: "test_failure", message: countsAt.text, excerpt: countsAt.text }),
      start: countsAt.index,
      end: countsAt.index,
    });
  }
  return failedCount === undefined ? { found, consumed } : { found, consumed, failedCount };
}

function summaryEntry(text: string, index: number): SummaryEntry | undefined {
  const outcome = text.startsWith("FAILED ") ? "FAILED" : text.startsWith("ERROR ") ? "ERROR" : undefined;
  if (!outcome) return undefined;
  const rest = text.slice(outcome.length + 1);
  const dash = rest.indexOf(" - ");
  if (dash === -1) return { outcome, nodeId: rest.trim(), index };
  return { outcome, nodeId: rest.slice(0, dash).trim(), message: rest.slice(dash + 3).trim(), index };
}

function mergeReport(lines: readonly LogLine[], sections: readonly Section[], summary: readonly SummaryEntry[]): Found[] {
  const byKey = new Map<string, Section>();
  for (const section of sections) byKey.set(testKey(section.title), section);
  const found: Found[] = [];
  const used = new Set<Section>();
  for (const entry of summary) {
    const section = byKey.get(nodeKey(entry.nodeId)) ?? byKey.get(entry.nodeId);
    if (section && !used.has(section)) {
      used.add(section);
      const fromSection = readSection(lines, section, entry);
      if (fromSection) {
        found.push(fromSection);
        continue;
      }
    }
    found.push(fromSummary(lines, entry));
  }
  for (const section of sections) {
    if (used.has(section)) continue;
    const fromSection = readSection(lines, section, undefined);
    if (fromSection) found.push(fromSection);
  }
  return found;
}

function readSection(lines: readonly LogLine[], section: Section, entry: SummaryEntry | undefined): Found | undefined {
  let exception: { type: string; message: string } | undefined;
  let firstE: string | undefined;
  let syntaxAt: { file: string; line: number } | undefined;
  let raisedAt: { file: string; line: number; type: string } | undefined;
  let lastFrame: { file: string; line: number } | undefined;
  for (let i = section.start + 1; i <= section.end; i++) {
    const text = lines[i]!.text;
    const e = E_LINE.exec(text);
    if (e) {
      const body = (e[1] ?? "").trim();
      if (body === "") continue;
      const fileLine = E_FILE.exec(body);
      if (fileLine) {
        syntaxAt = { file: fileLine[1]!, line: Number(fileLine[2]) };
        continue;
      }
      firstE ??= body;
      exception ??= parseExceptionLine(body, true);
      continue;
    }
    const location = LOCATION.exec(text);
    if (location) {
      const where = { file: location[1]!, line: Number(location[2]) };
      const rest = (location[3] ?? "").trim();
      if (rest.startsWith("in ")) {
        if (!isLibraryPath(where.file)) lastFrame = where;
      } else if (rest !== "") {
        raisedAt = { ...where, type: rest };
      }
    }
  }
  if (!exception && !firstE && !raisedAt) return undefined;
  const type = exception?.type ?? raisedAt?.type ?? (entry ? summaryException(entry)?.type : undefined);
  const message = exception?.message ?? firstE ?? (entry ? summaryException(entry)?.message : undefined) ?? section.title;
  const where =
    (type !== undefined && /^(?:SyntaxError|IndentationError|TabError)$/.test(type) ? syntaxAt : undefined) ??
    raisedAt ??
    lastFrame ??
    syntaxAt;
  const excerptLines = lines.slice(section.start, section.end + 1).map((l) => l.text);
  if (entry) excerptLines.push(lines[entry.index]!.text);
  return {
    failure: failure({
      kind: kindForException(type ?? "", message, "test_failure"),
      exceptionType: type,
      message,
      file: where ? repoRelativePath(where.file) : entry ? nodeFile(entry.nodeId) : undefined,
      line: where?.line,
      excerpt: excerptOf(excerptLines),
    }),
    start: section.start,
    end: section.end,
  };
}

/** `TypeError: S3Repor...`: pytest cuts summary messages to the terminal width. */
function summaryException(entry: SummaryEntry): { type: string; message: string } | undefined {
  if (entry.message === undefined) return undefined;
  const text = entry.message.endsWith("...") ? entry.message.slice(0, -3) : entry.message;
  return parseExceptionLine(text, true) ?? { type: "", message: text };
}

function fromSummary(lines: readonly LogLine[], entry: SummaryEntry): Found {
  const parsed = summaryException(entry);
  const type = parsed?.type || undefined;
  const message = parsed?.message || (entry.outcome === "ERROR" ? `error collecting ${entry.nodeId}` : `${entry.nodeId} failed`);
  return {
    failure: failure({
      kind: kindForException(type ?? "", message, "test_failure"),
      exceptionType: type,
      message,
      file: nodeFile(entry.nodeId),
      excerpt: lines[entry.index]!.text,
    }),
    start: entry.index,
    end: entry.index,
  };
}
