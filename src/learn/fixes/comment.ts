/** The PR comment that shows a maintainer what opforge learned from their edits, and asks for a verdict. */
import type { FileDiff } from "./learn.js";
import type { SavedRule } from "./store.js";
import { ruleSourceText } from "./store.js";
import { rulesCoverHunk } from "./tree/learn.js";
import type { SavedTreeRule } from "./tree/store.js";

/** Marks the comment so a reaction to it can be traced back to its rules. */
export const LESSONS_MARKER = "<!-- opforge:lessons";

function fence(text: string, lang: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

function lessonLine(saved: SavedRule): string {
  const rule = saved.rule;
  const cite = `learned from ${ruleSourceText(rule)}`;
  switch (saved.outcome) {
    case "created":
      return `**Lesson (rule #${rule.id}, ${rule.status}):** ${rule.description} — ${cite}.`;
    case "merged":
      // Its other sources may be other repositories of the installation: the comment names only this merge.
      return `**Lesson (rule #${rule.id}, ${rule.status}):** ${rule.description} — generalizes rule #${saved.mergedWith ?? "?"} with this change; ${rule.sources.length} sources.`;
    case "known":
      return `**Lesson (rule #${rule.id}, ${rule.status}):** already known — ${rule.description} Now seen in ${rule.sources.length} merge${rule.sources.length === 1 ? "" : "s"}.`;
  }
}

/** Tree rules drawn from a file that account for a hunk (a site in its lines, or the imports they bring). */
function treeRulesIn(tree: readonly SavedTreeRule[], path: string, hunk: FileDiff["hunks"][number]): SavedTreeRule[] {
  return tree.filter((t) => t.origin.path === path && rulesCoverHunk([t.learned], hunk.diff));
}

function treeLessonLine(saved: SavedTreeRule): string {
  const rule = saved.rule;
  const places = `changed ${saved.learned.sites} place${saved.learned.sites === 1 ? "" : "s"}`;
  switch (saved.outcome) {
    case "created":
      return `- **Rule #${rule.id} (${rule.status}):** ${rule.description} — ${places}; learned from ${ruleSourceText(rule)}.`;
    case "merged":
      return `- **Rule #${rule.id} (${rule.status}):** ${rule.description} — ${places}; generalizes rule #${saved.mergedWith ?? "?"} with this change (${rule.sources.length} sources).`;
    case "known":
      return `- **Rule #${rule.id} (${rule.status}):** already known — ${rule.description} — ${places}; now seen in ${rule.sources.length} fix${rule.sources.length === 1 ? "" : "es"}.`;
  }
}

/**
 * "What you changed vs. what I generated": every changed hunk as a diff, with the rule drawn from it (or
 * why none was), each rule learned listed once with how many places it changed, and a closing line asking
 * for 👍 to trust the new rules or 👎 to discard them.
 */
export function renderLessonsComment(rules: readonly SavedRule[], changedFiles: readonly FileDiff[], tree: readonly SavedTreeRule[] = []): string {
  const out: string[] = ["### What you changed vs. what I generated", ""];
  if (changedFiles.length === 0) {
    out.push("You merged the generated files as they were: nothing to learn.");
    return out.join("\n");
  }
  for (const file of changedFiles) {
    out.push(`#### \`${file.path}\``, "");
    if (file.status === "deleted") {
      out.push("You deleted this file; nothing is learned from a deletion.", "");
      continue;
    }
    for (const hunk of file.hunks) {
      out.push(fence(hunk.diff, "diff"), "");
      const lessons = rules.filter((r) => r.candidate.source.path === file.path && r.candidate.source.hunkIndex === hunk.index);
      const treeIds = [...new Set(treeRulesIn(tree, file.path, hunk).map((t) => t.rule.id))];
      if (treeIds.length > 0) out.push(`Learned as ${treeIds.map((id) => `rule #${id}`).join(", ")} (below).`, "");
      else if (lessons.length === 0) out.push(`No rule drawn: ${hunk.skipped ?? "no repeatable pattern"}.`, "");
      for (const lesson of lessons) out.push(lessonLine(lesson), "");
    }
  }
  const shownTree = tree.filter((t, i) => tree.findIndex((o) => o.rule.id === t.rule.id) === i);
  if (shownTree.length > 0) {
    out.push("#### Rules learned", "");
    for (const t of shownTree) {
      // One rule per lesson, however many places the change was made in.
      const sites = tree.filter((o) => o.rule.id === t.rule.id).reduce((n, o) => n + o.learned.sites, 0);
      out.push(treeLessonLine({ ...t, learned: { ...t.learned, sites } }));
    }
    out.push("");
  }
  const ids = [
    ...new Set([
      ...rules.filter((r) => r.outcome !== "known" || r.rule.status === "candidate").map((r) => r.rule.id),
      ...shownTree.filter((t) => t.outcome !== "known" || t.rule.status === "candidate").map((t) => t.rule.id),
    ]),
  ];
  if (ids.length > 0) {
    out.push(
      "---",
      `React with 👍 to trust ${ids.length === 1 ? "this rule" : "these rules"} (${ids.map((id) => `#${id}`).join(", ")}): opforge will then apply ${ids.length === 1 ? "it" : "them"} automatically. React with 👎 to discard ${ids.length === 1 ? "it" : "them"}. Until then ${ids.length === 1 ? "it is" : "they are"} offered to the model as guidance and applied once ${ids.length === 1 ? "it has" : "they have"} a good enough record.`,
      `${LESSONS_MARKER} rules=${ids.join(",")} -->`,
    );
  }
  return out.join("\n");
}
