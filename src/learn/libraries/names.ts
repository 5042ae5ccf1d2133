/**
 * Library names: PyPI distributions are keyed by their PEP 503 normalized name; CI errors and source files
 * speak of import names (`yaml`, `PIL`, `google.cloud.storage`), which this module maps to distributions.
 */
import { distributionsFor } from "../../python/dependencies.js";
import { isStdlibModule } from "../../python/stdlib.js";

export type AirflowMajor = "2" | "3";

/** PEP 503: lower case, every run of `-`, `_` and `.` becomes one `-`. */
export function normalizeLibraryName(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * Import prefix → distribution, where they differ and the first guess elsewhere would be wrong.
 * The longest matching dotted prefix wins.
 */
const IMPORT_NAMES: Readonly<Record<string, string>> = {
  yaml: "PyYAML",
  PIL: "Pillow",
  sklearn: "scikit-learn",
  skimage: "scikit-image",
  cv2: "opencv-python",
  bs4: "beautifulsoup4",
  dateutil: "python-dateutil",
  dotenv: "python-dotenv",
  jwt: "PyJWT",
  attr: "attrs",
  magic: "python-magic",
  Crypto: "pycryptodome",
  OpenSSL: "pyOpenSSL",
  MySQLdb: "mysqlclient",
  psycopg2: "psycopg2",
  cx_Oracle: "cx-Oracle",
  kafka: "kafka-python",
  confluent_kafka: "confluent-kafka",
  slack_sdk: "slack-sdk",
  github: "PyGithub",
  gitlab: "python-gitlab",
  docx: "python-docx",
  pptx: "python-pptx",
  fitz: "PyMuPDF",
  zmq: "pyzmq",
  nacl: "PyNaCl",
  dns: "dnspython",
  websocket: "websocket-client",
  googleapiclient: "google-api-python-client",
  grpc: "grpcio",
  pkg_resources: "setuptools",
  "google.protobuf": "protobuf",
  "google.auth": "google-auth",
  "google.oauth2": "google-auth",
  "google.api_core": "google-api-core",
  "snowflake.connector": "snowflake-connector-python",
  "snowflake.sqlalchemy": "snowflake-sqlalchemy",
  "snowflake.snowpark": "snowflake-snowpark-python",
  "databricks.sql": "databricks-sql-connector",
  "databricks.sdk": "databricks-sdk",
  "azure.storage.blob": "azure-storage-blob",
  "azure.identity": "azure-identity",
};

const PROVIDER_FAMILIES: ReadonlySet<string> = new Set(["apache", "microsoft", "cncf", "common", "dbt", "atlassian"]);

function mappedPrefix(module: string): string | undefined {
  const parts = module.split(".");
  for (let n = parts.length; n >= 1; n--) {
    const hit = IMPORT_NAMES[parts.slice(0, n).join(".")];
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * The distribution that provides an import (`yaml` → `pyyaml`, `google.cloud.storage` →
 * `google-cloud-storage`), normalized. A distribution name passed in comes back normalized.
 */
export function distributionForImport(module: string): string {
  const name = module.trim();
  const mapped = mappedPrefix(name);
  if (mapped !== undefined) return normalizeLibraryName(mapped);
  const parts = name.split(".");
  if (parts[0] === "airflow" && parts[1] === "providers" && parts.length >= 3) {
    // Provider ids with a family prefix take two segments (airflow.providers.apache.kafka → apache-kafka).
    const width = PROVIDER_FAMILIES.has(parts[2] ?? "") && parts.length >= 4 ? 2 : 1;
    return `apache-airflow-providers-${parts.slice(2, 2 + width).map(normalizeLibraryName).join("-")}`;
  }
  // Google Cloud and Azure client libraries are namespace packages: the distribution is named by the
  // namespace path (google.cloud.storage → google-cloud-storage, azure.servicebus → azure-servicebus).
  if (parts[0] === "google" && parts[1] === "cloud" && parts.length >= 3) return `google-cloud-${normalizeLibraryName(parts[2] ?? "")}`;
  if (parts[0] === "azure" && parts.length >= 2) return normalizeLibraryName(parts.slice(0, Math.min(parts.length, 3)).join("-"));
  if (parts.length > 1) return distributionsFor(name)[0] ?? normalizeLibraryName(parts[0] ?? name);
  return normalizeLibraryName(name);
}

/** The import names a distribution is usually imported under, for reading tracebacks (`pyyaml` → `yaml`). */
export function importNamesFor(distribution: string): string[] {
  const dist = normalizeLibraryName(distribution);
  const names = Object.entries(IMPORT_NAMES)
    .filter(([, d]) => normalizeLibraryName(d) === dist)
    .map(([module]) => module);
  if (dist.startsWith("google-cloud-")) names.push(`google.cloud.${dist.slice("google-cloud-".length).replace(/-/g, "_")}`);
  names.push(dist.replace(/-/g, "_"));
  return [...new Set(names)];
}

/** The PEP 503 name of a PEP 508 requirement (`requests[socks]>=2.31 ; python_version>"3.8"` → `requests`). */
export function requirementLibrary(requirement: string): string | undefined {
  const match = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(requirement);
  return match?.[1] === undefined ? undefined : normalizeLibraryName(match[1]);
}

/** True for modules that are not third-party libraries: the stdlib and Airflow core itself. */
export function isNotALibrary(module: string): boolean {
  const top = module.split(".")[0] ?? module;
  if (top === "airflow") return module.split(".")[1] !== "providers";
  return isStdlibModule(module);
}
