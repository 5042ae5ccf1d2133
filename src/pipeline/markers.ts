/** Hidden markers that let opforge find its own comments again (after a crash, on a re-run). */
export const MARKERS = {
  status: "status",
  specFindings: "spec-findings",
  retry: (attempt: number) => `retry-${attempt}`,
  ciVerdict: (sha: string) => `ci-${sha.slice(0, 12)}`,
  retryAnswer: (commentId: number) => `retry-answer-${commentId}`,
  humanFixes: "human-fixes",
} as const;

export function markerComment(marker: string): string {
  return `<!-- opforge:${marker} -->`;
}
