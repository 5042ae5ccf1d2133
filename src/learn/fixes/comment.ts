/** The PR comment that shows a maintainer what opforge learned from their edits, and asks for a verdict. */
import type { FileDiff } from "./learn.js";
import type { SavedRule } from "./store.js";
import { ruleSourceText } from "./store.js";

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
      return `**Lesson (rule #${rule.id}, ${rule.status}):** ${rule.description} — generalizes rule #${saved.mergedWith ?? "?"} with this change; ${rule.sources.length} sources, first ${cite}.`;
    case "known":
      return `**Lesson (rule #${rule.id}, ${rule.status}):** already known — ${rule.description} Now seen in ${rule.sources.length} merge${rule.sources.length === 1 ? "" : "s"}.`;
  }
}

/**
 * "What you changed vs. what I generated": every changed hunk as a diff, with the rule drawn from it (or
 * why none was), and a closing line asking for 👍 to trust the new rules or 👎 to discard them.
 */
export function renderLessonsComment(rules: readonly SavedRule[], changedFiles: readonly FileDiff[]): string {
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
      if (lessons.length === 0) out.push(`No rule drawn: ${hunk.skipped ?? "no repeatable pattern"}.`, "");
      for (const lesson of lessons) out.push(lessonLine(lesson), "");
    }
  }
  const ids = [...new Set(rules.filter((r) => r.outcome !== "known" || r.rule.status === "candidate").map((r) => r.rule.id))];
  if (ids.length > 0) {
    out.push(
      "---",
      `React with 👍 to trust ${ids.length === 1 ? "this rule" : "these rules"} (${ids.map((id) => `#${id}`).join(", ")}): opforge will then apply ${ids.length === 1 ? "it" : "them"} automatically. React with 👎 to discard ${ids.length === 1 ? "it" : "them"}. Until then ${ids.length === 1 ? "it is" : "they are"} offered to the model as guidance and applied once ${ids.length === 1 ? "it has" : "they have"} a good enough record.`,
      `${LESSONS_MARKER} rules=${ids.join(",")} -->`,
    );
  }
  return out.join("\n");
}
