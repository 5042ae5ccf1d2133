import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.js";

describe("repository config paths (issue 10, item 4)", () => {
  it.each([
    [".GitHub/workflows", "path lies under .github/ (in any letter case)"],
    [".Github/x", "path lies under .github/ (in any letter case)"],
    ["./.github/x/", "path lies under .github/ (in any letter case)"],
    [".git/hooks/", "path contains a '.git' segment"],
    ["plugins/.GIT/x", "path contains a '.git' segment"],
    ["plugins/\u202e/x", "path contains a bidirectional control character"],
    ["plugins/\u2066x", "path contains a bidirectional control character"],
    ["plugins/\u0000x", "path contains a control character"],
    ["plugins/\u0085x", "path contains a control character"],
    ["plugins/../../etc", "path contains a '..' segment"],
    ["./", "path is empty"],
    ["/abs", "path is absolute"],
    ["a\\b", "path contains a backslash"],
  ])("%j is refused when the config is read", (path, problem) => {
    const result = parseRepoConfig({ paths: { operators: path } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([`.github/opforge.yml: paths.operators: must be a relative directory inside the repository: ${problem}`]);
  });

  it("normalizes what it accepts: ./ prefix, doubled and trailing slashes", () => {
    const result = parseRepoConfig({ paths: { operators: "./plugins//ops", hooks: "plugins/hooks///" } });
    expect(result.ok && result.config.paths).toMatchObject({ operators: "plugins/ops/", hooks: "plugins/hooks/" });
  });
});
