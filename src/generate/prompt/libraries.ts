/**
 * The prompt's "Library versions" section: the versions Airflow's constraints install for the libraries the
 * spec declares, and for the few whose versions bite generated code (SQLAlchemy 1.4, pandas 2.1, numpy 1.26, …)
 * when the prompt speaks of them, so the model writes against the APIs that will be installed.
 */
import type { AirflowConstraints, ConstraintsMajor } from "../../knowledge/constraints.js";
import { airflowConstraints } from "../../knowledge/constraints.js";
import { specifiersAllow } from "../../spec/dependency-pins.js";
import { normalizeProjectName, parseRequirement, type Requirement } from "../../spec/pep508.js";
import type { AirflowTarget, ComponentSpec } from "../../spec/types.js";

/** Libraries whose pinned versions break code written for newer ones, and how a prompt shows it uses them. */
const BITING: readonly { library: string; mentioned: RegExp }[] = [
  { library: "sqlalchemy", mentioned: /\bsql ?alchemy\b|get_sqlalchemy_engine|\bcreate_engine\b/i },
  { library: "pandas", mentioned: /\bpandas\b|\bdataframe\b|get_pandas_df|\bread_sql\b/i },
  { library: "numpy", mentioned: /\bnumpy\b/i },
  { library: "pyarrow", mentioned: /\bpyarrow\b|\bparquet\b/i },
  { library: "pydantic", mentioned: /\bpydantic\b/i },
  { library: "requests", mentioned: /\bimport requests\b|\brequests\.[A-Za-z]|\bHttpHook\b|\brequests library\b/ },
];

/** At most this many libraries are listed: the declared ones first. */
export const MAX_LISTED_LIBRARIES = 10;

function declaredRequirements(spec: ComponentSpec): Requirement[] {
  return spec.dependencies.flatMap((d) => {
    const r = parseRequirement(d);
    return r.ok && r.requirement.url === undefined ? [r.requirement] : [];
  });
}

/** PEP 503 names to list: declared dependencies (not Airflow or its providers), then biting libraries mentioned. */
export function librariesToPin(spec: ComponentSpec, promptText: string): { library: string; requirement?: Requirement }[] {
  const out = new Map<string, Requirement | undefined>();
  for (const r of declaredRequirements(spec)) {
    const name = normalizeProjectName(r.name);
    if (name === "apache-airflow" || name.startsWith("apache-airflow-") || out.has(name)) continue;
    out.set(name, r);
  }
  for (const b of BITING) {
    if (!out.has(b.library) && (b.mentioned.test(promptText) || (b.library === "requests" && spec.category === "http"))) out.set(b.library, undefined);
  }
  return [...out].slice(0, MAX_LISTED_LIBRARIES).map(([library, requirement]) => (requirement === undefined ? { library } : { library, requirement }));
}

/** `pandas==2.1.4, sqlalchemy==1.4.54` for the newest Airflow version of a major; libraries the spec pins elsewhere are left out. */
function pinsLine(libraries: { library: string; requirement?: Requirement }[], major: ConstraintsMajor, constraints: AirflowConstraints): { airflow: string; text: string } | undefined {
  const newest = constraints.newest(major);
  if (newest === undefined) return undefined;
  const pins = libraries.flatMap(({ library, requirement }) => {
    const version = constraints.pinnedVersion(library, newest.airflow);
    if (version === undefined || (requirement !== undefined && !specifiersAllow(version, requirement.specifiers))) return [];
    return [`${library}==${version}`];
  });
  return pins.length === 0 ? undefined : { airflow: newest.airflow, text: pins.join(", ") };
}

/**
 * The section as a list of zero or one text: "Assume these library versions (Airflow 2.10 constraints):
 * pandas==2.1.4, …", one line per targeted major (one line when both majors pin the same versions).
 * `promptText` is what the prompt says so far (the rendered spec), read for mentions of the biting libraries.
 */
export function libraryVersionsSections(
  spec: ComponentSpec,
  target: AirflowTarget,
  promptText: string,
  constraints: AirflowConstraints = airflowConstraints(),
): string[] {
  const libraries = librariesToPin(spec, promptText);
  if (libraries.length === 0) return [];
  const majors: ConstraintsMajor[] = target === "both" ? ["2", "3"] : [target];
  const lines = majors.flatMap((m) => pinsLine(libraries, m, constraints) ?? []);
  if (lines.length === 0) return [];
  const merged = lines.length === 2 && lines[0]!.text === lines[1]!.text ? [{ airflow: `${lines[0]!.airflow} and ${lines[1]!.airflow}`, text: lines[0]!.text }] : lines;
  return [
    [
      "# Library versions",
      ...merged.map((l) => `Assume these library versions (Airflow ${l.airflow} constraints): ${l.text}.`),
      "Airflow installs them; use only APIs these versions have.",
    ].join("\n"),
  ];
}
