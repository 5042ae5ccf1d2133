/** Hidden markers that let opforge find its own comments again (after a crash, on a re-run). */
export const MARKERS = {
  status: "status",
  specFindings: "spec-findings",
  retry: (jobId: number) => `retry-job-${jobId}`,
  ciVerdict: (sha: string) => `ci-${sha.slice(0, 12)}`,
  humanFixes: "human-fixes",
} as const;
