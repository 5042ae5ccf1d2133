/** The one installation the store-level tests learn in and read from, unless a test is about two of them. */
import type { LearningOrigin, LearningScope } from "../../src/learn/scope.js";

export const TEST_INSTALLATION = 7;
export const TEST_ORIGIN: LearningOrigin = { installationId: TEST_INSTALLATION, repository: "acme/pipelines" };
export const TEST_SCOPE: LearningScope = { installationId: TEST_INSTALLATION, repository: null };
