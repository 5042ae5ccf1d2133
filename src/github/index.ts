export type { GitHubClient, RepoCoordinates } from "./client.js";
export { isRequestError, requestStatus } from "./client.js";
export { UnsafePathError, assertWritablePaths, pathProblem } from "./paths.js";
export { DEFAULT_BRANCH_PREFIX, assertValidBranchName, branchName, getBranchHeadSha, isOpforgeBranch } from "./branches.js";
export type { CommitFilesInput, CommitFilesResult, FileToCommit } from "./commit.js";
export { commitFiles } from "./commit.js";
export type { PullRequestInput, PullRequestResult } from "./pulls.js";
export { openOrUpdatePullRequest } from "./pulls.js";
export type {
  CommentResult,
  CreateCommentInput,
  FindMarkedCommentInput,
  IssueCoordinates,
  MarkedComment,
  ReactionContent,
  UpsertCommentInput,
} from "./comments.js";
export { addReaction, commentMarker, createComment, findMarkedComment, upsertComment, withMarker } from "./comments.js";
export type { EnsureLabelInput } from "./labels.js";
export { addLabels, ensureLabel, removeLabel } from "./labels.js";
export type { CheckAnnotation, CheckConclusion, CheckRunInput, CheckRunResult } from "./checks.js";
export { MAX_ANNOTATIONS_PER_REQUEST, MAX_CHECK_OUTPUT_CHARS, createCheckRun, truncateText } from "./checks.js";
export type { RepoPermission } from "./permissions.js";
export { canTriggerRetry, getPermission } from "./permissions.js";
export type { ReadFilesInput } from "./contents.js";
export { readFilesAtRef } from "./contents.js";
