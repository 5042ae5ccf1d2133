/**
 * Learning from a merge: each change a human made to a generated file becomes a candidate rewrite rule,
 * anchored on the whole statements it touched and with the component's own names turned into holes.
 */
import { diffLines, structuredPatch } from "diff";
import type { ParsedSource } from "../../python/parser.js";
import { parsePythonOrUndefined } from "../../python/parser.js";
import type { NameClasses } from "./abstract.js";
import { abstractPair, classifyNames } from "./abstract.js";
import { describeChange } from "./describe.js";
import { MAX_RULE_LINES, MAX_RULE_TOKENS, MIN_ANCHOR_TOKENS, MIN_FIXED_TOKENS } from "./limits.js";
import { anchorTokens, compilePattern, fixedTokens } from "./pattern.js";
import { tokenTexts } from "./tokens.js";
import type { Unit } from "./units.js";
import { contextOf, nodeAt, statementUnits } from "./units.js";

export interface MergeInput {
  generatedFiles: readonly { path: string; content: string }[];
  /** Content of each generated path at the merge commit; null when the human deleted the file. */
  mergedFiles: ReadonlyMap<string, string | null>;
  prNumber: number;
  mergeSha: string;
  /** `owner/name`. */
  repo: string;
  /** Error signatures the generation ran into; the rules learned here are linked to them. */
  signatureIds: readonly number[];
}

export interface RuleSource {
  repo: string;
  prNumber: number;
  commitSha: string;
  path: string;
}

/** A human fix as the design calls it: one changed hunk, abstracted into a candidate rewrite rule. */
export type HumanFix = LearnedRuleCandidate;

export interface LearnedRuleCandidate {
  before: string;
  after: string;
  /** '' (module level), 'class *', 'def *' or 'def <api name>': where `before` may match. */
  context: string;
  holes: number;
  description: string;
  source: RuleSource & { hunkIndex: number };
  signatureIds: number[];
  /** The change as a unified diff of the anchored statements, with the component's real names. */
  diff: string;
}

export interface HunkView {
  index: number;
  oldStart: number;
  newStart: number;
  diff: string;
  /** Why no rule was drawn from this change, when none was. */
  skipped?: string;
}

export interface FileDiff {
  path: string;
  status: "modified" | "deleted";
  hunks: HunkView[];
}

export interface MergeLessons {
  files: FileDiff[];
  candidates: LearnedRuleCandidate[];
}

interface Region {
  /** Old (generated) lines, 1-based inclusive. */
  oldStart: number;
  oldEnd: number;
  /** Sum of (new − old) line counts of the hunks before the region, and of those inside it. */
  shiftBefore: number;
  shiftInside: number;
  units: Unit[];
}

interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
}

function overlapping(units: readonly Unit[], first: number, last: number): Unit[] {
  return units.filter((u) => u.startLine <= last && u.endLine >= first);
}

/** The units a hunk touches: those overlapping its removed lines, or for a pure insertion the unit around it or just before it. */
function anchorUnits(hunk: Hunk, units: readonly Unit[]): Unit[] {
  if (hunk.oldLines > 0) return overlapping(units, hunk.oldStart, hunk.oldStart + hunk.oldLines - 1);
  const at = hunk.oldStart; // the insertion sits before this old line
  const around = units.filter((u) => u.startLine < at && u.endLine >= at);
  if (around.length > 0) return around;
  const before = units.filter((u) => u.endLine < at);
  const last = before[before.length - 1];
  if (last) return before.filter((u) => u.endLine === last.endLine);
  const next = units.find((u) => u.startLine >= at);
  return next ? [next] : [];
}

/**
 * Where the parse is broken (the human often fixed exactly that), tree-sitter wraps lines in ERROR nodes
 * that are no statements: a changed line no unit covers becomes a unit of its own.
 */
function lineUnits(hunk: Hunk, parsed: ParsedSource): Unit[] {
  const out: Unit[] = [];
  for (let line = hunk.oldStart; line < hunk.oldStart + hunk.oldLines; line++) {
    const start = parsed.lines.lineStart(line);
    const text = parsed.source.slice(start, parsed.source.indexOf("\n", start) === -1 ? undefined : parsed.source.indexOf("\n", start));
    const indent = /^[ \t]*/.exec(text)?.[0].length ?? 0;
    if (text.trim() === "" || text.trim().startsWith("#")) continue;
    out.push({ node: nodeAt(parsed.root, start + indent), startLine: line, endLine: line });
  }
  return out;
}

function regionsOf(hunks: readonly Hunk[], units: readonly Unit[], parsed: ParsedSource): Region[] {
  const regions: Region[] = [];
  let shift = 0;
  for (const hunk of hunks) {
    let anchors = anchorUnits(hunk, units);
    if (hunk.oldLines > 0) {
      const covered = (line: number): boolean => anchors.some((u) => u.startLine <= line && u.endLine >= line);
      anchors = [...anchors, ...lineUnits(hunk, parsed).filter((u) => !covered(u.startLine))];
    }
    // Removed lines are in the region; an insertion sits between old lines `oldStart - 1` and `oldStart`,
    // so the region reaches up to it from the anchor before, or starts at it when anchored on the next.
    const oldStart = Math.min(hunk.oldStart, ...anchors.map((u) => u.startLine));
    const oldEnd = Math.max(hunk.oldStart + hunk.oldLines - 1, ...anchors.map((u) => u.endLine));
    const delta = hunk.newLines - hunk.oldLines;
    const previous = regions[regions.length - 1];
    if (previous && oldStart <= previous.oldEnd) {
      previous.oldEnd = Math.max(previous.oldEnd, oldEnd);
      previous.shiftInside += delta;
      for (const u of anchors) if (!previous.units.includes(u)) previous.units.push(u);
    } else if (anchors.length > 0 || hunk.oldLines > 0) {
      regions.push({ oldStart, oldEnd, shiftBefore: shift, shiftInside: delta, units: [...anchors] });
    }
    shift += delta;
  }
  return regions;
}

function linesOf(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function slice(lines: readonly string[], first: number, last: number): string {
  return last < first ? "" : `${lines.slice(first - 1, last).join("\n")}\n`;
}

/** A unified diff of two snippets, with a hunk header giving their places in the files. */
function snippetDiff(before: string, after: string, oldStart: number, newStart: number): string {
  const out: string[] = [];
  for (const change of diffLines(before, after)) {
    const mark = change.added ? "+" : change.removed ? "-" : " ";
    for (const line of linesOf(change.value)) out.push(`${mark}${line}`);
  }
  const oldCount = linesOf(before).length;
  const newCount = linesOf(after).length;
  return [`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...out].join("\n");
}

function checkInput(input: MergeInput): void {
  if (!Array.isArray(input.generatedFiles)) throw new Error("learnFromMerge: generatedFiles must be an array of { path, content }");
  input.generatedFiles.forEach((f, i) => {
    if (typeof f?.path !== "string" || typeof f.content !== "string") {
      throw new Error(`learnFromMerge: generatedFiles[${i}] must have a string path and content`);
    }
  });
  if (!(input.mergedFiles instanceof Map)) throw new Error("learnFromMerge: mergedFiles must be a Map of path → content (null when deleted)");
  if (!Number.isInteger(input.prNumber) || input.prNumber < 1) throw new Error(`learnFromMerge: prNumber must be a positive integer, got ${JSON.stringify(input.prNumber)}`);
  if (typeof input.mergeSha !== "string" || !/^[0-9a-f]{7,64}$/i.test(input.mergeSha)) {
    throw new Error(`learnFromMerge: mergeSha must be a commit sha, got ${JSON.stringify(input.mergeSha)}`);
  }
  if (!Array.isArray(input.signatureIds) || input.signatureIds.some((id) => !Number.isInteger(id) || id < 1)) {
    throw new Error("learnFromMerge: signatureIds must be an array of positive integers (error signature ids)");
  }
  if (typeof input.repo !== "string" || !/^[\w.-]+\/[\w.-]+$/.test(input.repo)) throw new Error(`learnFromMerge: repo must be "owner/name", got ${JSON.stringify(input.repo)}`);
}

interface RegionOutcome {
  view: HunkView;
  candidate?: LearnedRuleCandidate;
}

function learnRegion(
  region: Region,
  index: number,
  oldLines: readonly string[],
  newLines: readonly string[],
  generated: ParsedSource,
  names: NameClasses,
  input: MergeInput,
  path: string,
): RegionOutcome {
  const newStart = region.oldStart + region.shiftBefore;
  const newEnd = region.oldEnd + region.shiftBefore + region.shiftInside;
  const beforeText = slice(oldLines, region.oldStart, region.oldEnd);
  const afterText = slice(newLines, newStart, newEnd);
  const view: HunkView = { index, oldStart: region.oldStart, newStart, diff: snippetDiff(beforeText, afterText, region.oldStart, newStart) };
  const skip = (reason: string): RegionOutcome => ({ view: { ...view, skipped: reason } });

  const beforeTokens = tokenTexts(beforeText);
  const afterTokens = tokenTexts(afterText);
  if (beforeTokens.join("\u0000") === afterTokens.join("\u0000")) return skip("only whitespace or comments changed");
  if (region.units.length === 0) return skip("the change touches no statement");
  const lineCount = Math.max(region.oldEnd - region.oldStart + 1, newEnd - newStart + 1);
  const size = Math.max(beforeTokens.length, afterTokens.length);
  if (lineCount > MAX_RULE_LINES || size > MAX_RULE_TOKENS) {
    return skip(`too large for a rewrite rule (${lineCount} lines, ${size} tokens; at most ${MAX_RULE_LINES} lines and ${MAX_RULE_TOKENS} tokens)`);
  }
  if (beforeText.includes("$") || afterText.includes("$")) return skip("the code contains `$`, which rule patterns reserve for holes");

  const pair = abstractPair(beforeText, afterText, names);
  const before = compilePattern(pair.before);
  if (fixedTokens(before).length < MIN_FIXED_TOKENS || anchorTokens(before).length < MIN_ANCHOR_TOKENS) {
    return skip("too little fixed code around the change to apply it elsewhere safely");
  }
  const first = [...region.units].sort((a, b) => a.node.start - b.node.start)[0] as Unit;
  const context = contextOf(first.node, generated.source);
  const candidate: LearnedRuleCandidate = {
    before: pair.before,
    after: pair.after,
    context,
    holes: pair.holes,
    description: describeChange(pair.before, pair.after, context),
    source: { repo: input.repo, prNumber: input.prNumber, commitSha: input.mergeSha, path, hunkIndex: index },
    signatureIds: [...new Set(input.signatureIds)],
    diff: view.diff,
  };
  return { view, candidate };
}

/**
 * Every change the human made to generated Python files, each with the rule drawn from it or the reason
 * none was. Pure apart from parsing (which is asynchronous only because the grammar loads once).
 */
export async function analyzeMerge(input: MergeInput): Promise<MergeLessons> {
  checkInput(input);
  const files: FileDiff[] = [];
  const candidates: LearnedRuleCandidate[] = [];
  for (const file of input.generatedFiles) {
    if (!input.mergedFiles.has(file.path)) continue;
    const merged = input.mergedFiles.get(file.path);
    if (merged === null || merged === undefined) {
      files.push({ path: file.path, status: "deleted", hunks: [] });
      continue;
    }
    if (merged === file.content) continue;
    const patch = structuredPatch(file.path, file.path, file.content, merged, "", "", { context: 0 });
    const oldLines = linesOf(file.content);
    const newLines = linesOf(merged);
    if (!file.path.endsWith(".py")) {
      files.push({
        path: file.path,
        status: "modified",
        hunks: patch.hunks.map((h, index) => ({
          index,
          oldStart: h.oldStart,
          newStart: h.newStart,
          diff: [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join("\n"),
          skipped: "not a Python file",
        })),
      });
      continue;
    }
    const generated = await parsePythonOrUndefined(file.content);
    const mergedTree = await parsePythonOrUndefined(merged);
    const regions = generated ? regionsOf(patch.hunks, statementUnits(generated), generated) : [];
    const hunks: HunkView[] = [];
    if (!generated || !mergedTree || mergedTree.hasError) {
      const reason = !generated ? "the generated file could not be parsed" : "the merged file does not parse";
      patch.hunks.forEach((h, index) =>
        hunks.push({
          index,
          oldStart: h.oldStart,
          newStart: h.newStart,
          diff: [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join("\n"),
          skipped: reason,
        }),
      );
      files.push({ path: file.path, status: "modified", hunks });
      continue;
    }
    const names = classifyNames(mergedTree.root, merged, classifyNames(generated.root, file.content));
    regions.forEach((region, index) => {
      const outcome = learnRegion(region, index, oldLines, newLines, generated, names, input, file.path);
      hunks.push(outcome.view);
      if (outcome.candidate) candidates.push(outcome.candidate);
    });
    files.push({ path: file.path, status: "modified", hunks });
  }
  return { files, candidates };
}

/** The candidate rewrite rules a merge teaches (see {@link analyzeMerge} for the changes and skip reasons). */
export async function learnFromMerge(input: MergeInput): Promise<LearnedRuleCandidate[]> {
  return (await analyzeMerge(input)).candidates;
}
