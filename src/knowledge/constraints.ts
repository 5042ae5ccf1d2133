/**
 * Read access to the library pins of Airflow's constraints files (`data/constraints.json.gz`, built by
 * `build/constraints.ts`): which version of a library installs with which Airflow version. The data loads on
 * first use and stays cached.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { KbConstraints } from "./format.js";
import { kbConstraintsSchema } from "./format.js";

export const DEFAULT_CONSTRAINTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "data", "constraints.json.gz");

export type ConstraintsMajor = "2" | "3";
/** A spec's `airflow_version` ("2", "3", "both"), or one Airflow version id ("2.10"). */
export type ConstraintsTarget = ConstraintsMajor | "both" | string;

/** One Airflow version's constraints file. */
export interface ConstraintsVersion {
  airflow: string;
  major: ConstraintsMajor;
  ref: string;
  commit: string;
  file: string;
  generated?: string;
}

/** One library's pin in one Airflow version's constraints. */
export interface LibraryPin {
  /** PEP 503 normalized. */
  library: string;
  version: string;
  airflow: string;
  major: ConstraintsMajor;
  /** `constraints-2-10/constraints-3.11.txt`: the branch and file, as people look them up. */
  where: string;
  /** `where` with the commit: `constraints-2-10/constraints-3.11.txt@1c4e8228ac1235faed219169da5fce799aa2535d`. */
  source: string;
}

function pep503(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, "-");
}

/** Orders Airflow version ids numerically ("2.9" < "2.10" < "3.0"). */
export function compareAirflowVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export class AirflowConstraints {
  /** Oldest first. */
  readonly versions: readonly ConstraintsVersion[];
  private readonly pins = new Map<string, Record<string, string>>();

  constructor(data: KbConstraints) {
    const sorted = [...data.versions].sort((a, b) => compareAirflowVersions(a.airflow, b.airflow));
    this.versions = sorted.map(({ pins: _pins, ...version }) => version);
    for (const v of sorted) this.pins.set(v.airflow, v.pins);
  }

  /** The Airflow versions a target covers: a major's versions, all for "both", or the one version named. */
  airflowVersions(target: ConstraintsTarget): ConstraintsVersion[] {
    if (target === "both") return [...this.versions];
    if (target === "2" || target === "3") return this.versions.filter((v) => v.major === target);
    return this.versions.filter((v) => v.airflow === target);
  }

  /** The newest Airflow version of a major (what CI installs for it), if the data has one. */
  newest(major: ConstraintsMajor): ConstraintsVersion | undefined {
    return this.airflowVersions(major).at(-1);
  }

  /** The version an Airflow version's constraints pin the library to (`"2.1.4"` for pandas on "2.10"). */
  pinnedVersion(library: string, airflow: string): string | undefined {
    return this.pins.get(airflow)?.[pep503(library)];
  }

  /** The library's pins in every Airflow version of the target, oldest first; versions without a pin are left out. */
  pinsFor(library: string, target: ConstraintsTarget): LibraryPin[] {
    const name = pep503(library);
    return this.airflowVersions(target).flatMap((v) => {
      const version = this.pins.get(v.airflow)?.[name];
      return version === undefined ? [] : [pinOf(name, version, v)];
    });
  }

  /** The pin of the newest Airflow version of a major, e.g. the SQLAlchemy that Airflow 2 CI installs. */
  pinForMajor(library: string, major: ConstraintsMajor): LibraryPin | undefined {
    const newest = this.newest(major);
    if (newest === undefined) return undefined;
    const version = this.pinnedVersion(library, newest.airflow);
    return version === undefined ? undefined : pinOf(pep503(library), version, newest);
  }

  /** The distinct versions of a library across all Airflow versions, in the order the Airflow versions come. */
  availableVersions(library: string): string[] {
    return [...new Set(this.pinsFor(library, "both").map((p) => p.version))];
  }

  /** Every pin of every version, for seeding the library store. */
  allPins(): LibraryPin[] {
    return this.versions.flatMap((v) => Object.entries(this.pins.get(v.airflow) ?? {}).map(([library, version]) => pinOf(library, version, v)));
  }
}

export function constraintsWhere(v: Pick<ConstraintsVersion, "ref" | "file">): string {
  return `${v.ref}/${v.file}`;
}

function pinOf(library: string, version: string, v: ConstraintsVersion): LibraryPin {
  const where = constraintsWhere(v);
  return { library, version, airflow: v.airflow, major: v.major, where, source: `${where}@${v.commit}` };
}

/** Reads and checks a constraints data file (gzip of KbConstraints JSON). */
export function readConstraintsFile(path: string = DEFAULT_CONSTRAINTS_FILE): AirflowConstraints {
  let data: unknown;
  try {
    data = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
  } catch (error) {
    throw new Error(`cannot read the constraints data ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = kbConstraintsSchema.safeParse(data);
  if (!parsed.success) throw new Error(`constraints data ${path} does not match the KB format: ${parsed.error.message}`);
  return new AirflowConstraints(parsed.data);
}

let cached: AirflowConstraints | undefined;

/** The committed constraints data, loaded on first use. */
export function airflowConstraints(): AirflowConstraints {
  cached ??= readConstraintsFile();
  return cached;
}
