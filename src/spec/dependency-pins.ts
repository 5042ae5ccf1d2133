/**
 * Spec dependencies checked against Airflow's constraints: a requirement that excludes the version Airflow's
 * constraints pin (`pandas>=2.2` when Airflow 2.10 pins pandas 2.1.4) makes pip fail to resolve, or upgrade the
 * library under Airflow and break it. Versions are compared by PEP 440 (`@renovatebot/pep440`).
 */
import { satisfies, validRange } from "@renovatebot/pep440";
import type { AirflowConstraints, ConstraintsTarget, LibraryPin } from "../knowledge/constraints.js";
import { airflowConstraints } from "../knowledge/constraints.js";
import type { FindingCollector } from "./findings.js";
import { normalizeProjectName, parseRequirement, type Requirement } from "./pep508.js";
import type { AirflowTarget } from "./types.js";

/**
 * Whether `version` meets every specifier; true when there are none, and when the specifiers or the version
 * cannot be read as PEP 440 (nothing is claimed then).
 */
export function specifiersAllow(version: string, specifiers: Requirement["specifiers"]): boolean {
  if (specifiers.length === 0) return true;
  const range = specifiers.map((s) => `${s.operator}${s.version}`).join(",");
  try {
    if (!validRange(range)) return true;
    return satisfies(version, range);
  } catch {
    return true;
  }
}

/** The version a requirement pins exactly (`==2.2.1`, `===2.2.1`), if it does. */
export function exactPin(requirement: Requirement): string | undefined {
  if (requirement.specifiers.length !== 1) return undefined;
  const [only] = requirement.specifiers;
  if (only === undefined || (only.operator !== "==" && only.operator !== "===") || only.version.endsWith(".*")) return undefined;
  return only.version;
}

/** Airflow itself and its providers: providers are released to be upgraded apart from Airflow's constraints. */
function isAirflowDistribution(name: string): boolean {
  return name === "apache-airflow" || name.startsWith("apache-airflow-");
}

function airflowList(ids: string[]): string {
  return ids.length <= 1 ? (ids[0] ?? "") : `${ids.slice(0, -1).join(", ")} and ${ids.at(-1)}`;
}

/** "pandas 2.1.4, the version Airflow 2.10 pins in its constraints (constraints-2-10/constraints-3.11.txt)". */
function pinPhrase(library: string, version: string, pins: LibraryPin[]): string {
  const one = pins.length === 1;
  return `${library} ${version}, the version Airflow ${airflowList(pins.map((p) => p.airflow))} ${one ? "pins in its" : "pin in their"} constraints (${pins.map((p) => p.where).join(", ")})`;
}

/**
 * The warning for one requirement, or undefined when it allows every pin of the targeted Airflow versions
 * (also for URLs, unpinned libraries and Airflow's own distributions).
 */
export function constraintConflict(requirementText: string, target: ConstraintsTarget, constraints: AirflowConstraints): string | undefined {
  const checked = parseRequirement(requirementText);
  if (!checked.ok || checked.requirement.url !== undefined || checked.requirement.specifiers.length === 0) return undefined;
  const library = normalizeProjectName(checked.requirement.name);
  if (isAirflowDistribution(library)) return undefined;
  const excluded = constraints.pinsFor(library, target).filter((pin) => !specifiersAllow(pin.version, checked.requirement.specifiers));
  if (excluded.length === 0) return undefined;
  const byVersion = new Map<string, LibraryPin[]>();
  for (const pin of excluded) byVersion.set(pin.version, [...(byVersion.get(pin.version) ?? []), pin]);
  const phrases = [...byVersion].map(([version, pins]) => pinPhrase(library, version, pins));
  return `${requirementText.trim()} excludes ${phrases.join(", and ")}; pip will fail to resolve or break Airflow`;
}

/** Warns, at `dependencies[i]`, about each dependency that excludes a pin of Airflow's constraints for the target. */
export function checkDependencyPins(
  dependencies: readonly string[],
  target: AirflowTarget,
  findings: FindingCollector,
  constraints: AirflowConstraints = airflowConstraints(),
): void {
  dependencies.forEach((dependency, index) => {
    const message = constraintConflict(dependency, target, constraints);
    if (message !== undefined) findings.warn(["dependencies", index], message);
  });
}
