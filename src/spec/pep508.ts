/**
 * A validator for PEP 508 dependency specifiers (`name[extra1,extra2] (>=1.0,<2) ; python_version < "3.12"`
 * or `name @ https://...`), with PEP 440 versions in the comparisons. It checks, it does not resolve.
 */

export interface Requirement {
  name: string;
  extras: string[];
  specifiers: Array<{ operator: string; version: string }>;
  url?: string;
  marker?: string;
}

export type RequirementCheck = { ok: true; requirement: Requirement } | { ok: false; message: string };

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const OPERATORS = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"] as const;

/** PEP 440 public and local versions, as `packaging` accepts them (case-insensitive, optional `v`). */
const VERSION =
  /^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;
const RELEASE_WILDCARD = /^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*\.\*$/i;

const MARKER_VARIABLES = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  // Deprecated PEP 345 spellings that pip still accepts.
  "os.name",
  "sys.platform",
  "platform.version",
  "platform.machine",
  "platform.python_implementation",
  "python_implementation",
]);

/** Normalized project name (PEP 503): lower case, runs of `-_.` become `-`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function checkVersion(operator: string, version: string): string | undefined {
  if (version === "") return `"${operator}" needs a version after it`;
  if (operator === "===") return /^[^\s,;)]+$/.test(version) ? undefined : `"${version}" is not a version`;
  if (version.endsWith(".*")) {
    if (operator !== "==" && operator !== "!=") return `a wildcard version ("${version}") only works with == or !=`;
    return RELEASE_WILDCARD.test(version) ? undefined : `"${version}" is not a PEP 440 version prefix`;
  }
  if (!VERSION.test(version)) return `"${version}" is not a PEP 440 version (e.g. 2.31.0, 1.0rc1, 2.0.post1)`;
  if (operator === "~=" && !/^v?(?:[0-9]+!)?[0-9]+\.[0-9]+/i.test(version)) {
    return `"~=${version}" needs at least two release numbers (e.g. ~=2.31)`;
  }
  if ((operator === "<" || operator === ">" || operator === "<=" || operator === ">=" || operator === "~=") && version.includes("+")) {
    return `a local version label ("${version}") only works with == or !=`;
  }
  return undefined;
}

function parseSpecifiers(text: string): { ok: true; specifiers: Requirement["specifiers"] } | { ok: false; message: string } {
  const specifiers: Requirement["specifiers"] = [];
  if (text.trim() === "") return { ok: true, specifiers };
  for (const part of text.split(",")) {
    const clause = part.trim();
    if (clause === "") return { ok: false, message: "empty version clause between commas" };
    const operator = OPERATORS.find((op) => clause.startsWith(op));
    if (!operator) {
      return { ok: false, message: `"${clause}" needs a comparison operator (one of ${OPERATORS.join(" ")}), e.g. >=${clause.replace(/^[^0-9]*/, "") || "1.0"}` };
    }
    const version = clause.slice(operator.length).trim();
    const problem = checkVersion(operator, version);
    if (problem) return { ok: false, message: problem };
    specifiers.push({ operator, version });
  }
  return { ok: true, specifiers };
}

/** Tokenizes and parses a marker expression: `expr (and|or expr)*`, `expr := value op value | ( marker )`. */
function checkMarker(text: string): string | undefined {
  const tokens: string[] = [];
  const pattern = /\s*(?:("[^"]*"|'[^']*')|(===|~=|==|!=|<=|>=|<|>)|(\(|\))|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) return `cannot read the marker at "${text.slice(index).trim()}"`;
    tokens.push((match[1] ?? match[2] ?? match[3] ?? match[4])!);
    index = pattern.lastIndex;
  }
  let position = 0;
  const isValue = (token: string | undefined): boolean =>
    token !== undefined && (/^["']/.test(token) || MARKER_VARIABLES.has(token));

  const parseOr = (): string | undefined => {
    let problem = parseAnd();
    while (!problem && tokens[position] === "or") {
      position += 1;
      problem = parseAnd();
    }
    return problem;
  };
  const parseAnd = (): string | undefined => {
    let problem = parseAtom();
    while (!problem && tokens[position] === "and") {
      position += 1;
      problem = parseAtom();
    }
    return problem;
  };
  const parseAtom = (): string | undefined => {
    const token = tokens[position];
    if (token === "(") {
      position += 1;
      const problem = parseOr();
      if (problem) return problem;
      if (tokens[position] !== ")") return `"(" in the marker is never closed`;
      position += 1;
      return undefined;
    }
    if (!isValue(token)) {
      return token === undefined
        ? "the marker ends too early"
        : `"${token}" is not a marker variable (e.g. python_version, sys_platform) or a quoted string`;
    }
    position += 1;
    let operator = tokens[position];
    if (operator === "not" && tokens[position + 1] === "in") {
      operator = "not in";
      position += 1;
    }
    if (operator === undefined || !(OPERATORS.includes(operator as (typeof OPERATORS)[number]) || operator === "in" || operator === "not in")) {
      return `expected a comparison after "${token}" in the marker`;
    }
    position += 1;
    if (!isValue(tokens[position])) return `expected a marker variable or quoted string after "${operator}"`;
    position += 1;
    return undefined;
  };

  if (tokens.length === 0) return "the marker after ';' is empty";
  const problem = parseOr();
  if (problem) return problem;
  if (position < tokens.length) return `unexpected "${tokens[position]}" in the marker`;
  return undefined;
}

/** Validates one PEP 508 requirement specifier. */
export function parseRequirement(input: string): RequirementCheck {
  const text = input.trim();
  if (text === "") return { ok: false, message: "is empty" };
  const nameMatch = NAME.exec(text);
  if (!nameMatch) return { ok: false, message: `must start with a project name (letters, digits, "-", "_", "."), e.g. requests>=2.31` };
  const name = nameMatch[0];
  let rest = text.slice(name.length).trimStart();
  const requirement: Requirement = { name, extras: [], specifiers: [] };

  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return { ok: false, message: `extras "[" is never closed` };
    const extras = rest.slice(1, close).split(",").map((extra) => extra.trim());
    if (!(extras.length === 1 && extras[0] === "")) {
      for (const extra of extras) {
        if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(extra)) {
          return { ok: false, message: `"${extra}" is not a valid extra name` };
        }
        requirement.extras.push(extra);
      }
    }
    rest = rest.slice(close + 1).trimStart();
  }

  if (rest.startsWith("@")) {
    // `name @ url ; marker`: the marker must be separated from the URL by whitespace.
    const afterAt = rest.slice(1).trim();
    const markerAt = afterAt.search(/\s;/);
    const url = (markerAt >= 0 ? afterAt.slice(0, markerAt) : afterAt).trim();
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+$|^file:\S+$/.test(url)) return { ok: false, message: `"${url}" after "@" is not a URL` };
    requirement.url = url;
    rest = markerAt >= 0 ? afterAt.slice(markerAt).trimStart() : "";
  } else {
    const semicolon = rest.indexOf(";");
    let versionPart = semicolon >= 0 ? rest.slice(0, semicolon) : rest;
    rest = semicolon >= 0 ? rest.slice(semicolon) : "";
    versionPart = versionPart.trim();
    if (versionPart.startsWith("(")) {
      if (!versionPart.endsWith(")")) return { ok: false, message: `"(" around the versions is never closed` };
      versionPart = versionPart.slice(1, -1);
    }
    if (/^[A-Za-z0-9]/.test(versionPart)) {
      const advice = /^v?\d/.test(versionPart)
        ? `a version needs an operator, e.g. ${name}==${versionPart.replace(/\s.*$/, "")}`
        : "give each requirement its own entry";
      return { ok: false, message: `unexpected "${versionPart}" after the name "${name}"; ${advice}` };
    }
    const parsed = parseSpecifiers(versionPart);
    if (!parsed.ok) return parsed;
    requirement.specifiers = parsed.specifiers;
  }

  if (rest !== "") {
    if (!rest.startsWith(";")) return { ok: false, message: `unexpected "${rest}"` };
    const marker = rest.slice(1).trim();
    const problem = checkMarker(marker);
    if (problem) return { ok: false, message: problem };
    requirement.marker = marker;
  }
  return { ok: true, requirement };
}
