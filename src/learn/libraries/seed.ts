/**
 * Curated knowledge the library store starts with: provider hooks to prefer over raw clients, other
 * packages, stdlib fallbacks and the pins of Airflow's constraints files that bite generated code.
 *
 * Sources:
 * - Provider hooks: the provider packages' API docs, https://airflow.apache.org/docs/apache-airflow-providers-<id>/stable/
 *   (module paths as listed under "Python API"), and the Airflow best-practices page
 *   https://airflow.apache.org/docs/apache-airflow/stable/best-practices.html ("Use hooks and operators").
 * - Pins: the constraints files `constraints-<airflow>/constraints-3.11.txt` in github.com/apache/airflow for
 *   2.9.x, 2.10.x and 3.0.x (SQLAlchemy 1.4.x, pandas 2.1.4, numpy 1.26.4, pyarrow 16.1.0).
 * - Isolation remedy: https://airflow.apache.org/docs/apache-airflow/stable/best-practices.html#handling-conflicting-complex-python-dependencies
 */
import type { Database } from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
import { seedLibraryRows } from "../../db/seed.js";
import type { AirflowMajor } from "./names.js";
import { normalizeLibraryName } from "./names.js";

export type AlternativeKind = "provider_hook" | "package" | "stdlib";

/** A stdlib replacement for what a library is commonly used for; every snippet imports only the stdlib. */
export interface StdlibFallback {
  name: string;
  /** What the snippet replaces, in words. */
  replaces: string;
  snippet: string;
}

export interface SeedAlternative {
  kind: AlternativeKind;
  /** Class, package or fallback name. */
  name: string;
  /** Requirement to add to the spec's dependencies; absent for the stdlib. */
  package?: string;
  importLine?: string;
  note?: string;
  source?: string;
}

export interface SeedLibrary {
  /** Distribution name as PyPI spells it; stored PEP 503 normalized. */
  library: string;
  airflowMajor?: AirflowMajor;
  alternatives: SeedAlternative[];
  notes?: { note: string; source: string }[];
}

const CONSTRAINTS = "https://github.com/apache/airflow/blob/constraints-2.10.3/constraints-3.11.txt";
const ISOLATION =
  "https://airflow.apache.org/docs/apache-airflow/stable/best-practices.html#handling-conflicting-complex-python-dependencies";
const providerDocs = (id: string): string => `https://airflow.apache.org/docs/apache-airflow-providers-${id}/stable/`;

export const STDLIB_FALLBACKS: readonly StdlibFallback[] = [
  {
    name: "http_get_json",
    replaces: "requests.get(...).json()",
    snippet: `import json
import urllib.parse
import urllib.request


def http_get_json(url: str, params: dict | None = None, headers: dict | None = None, timeout: float = 30.0):
    """GET a JSON document. A 4xx/5xx status raises urllib.error.HTTPError, like raise_for_status()."""
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})}, method="GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))
`,
  },
  {
    name: "http_post_json",
    replaces: "requests.post(url, json=payload)",
    snippet: `import json
import urllib.request


def http_post_json(url: str, payload: dict, headers: dict | None = None, timeout: float = 30.0):
    """POST a JSON body and decode a JSON reply (None for an empty one)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode("utf-8")
    return json.loads(text) if text else None
`,
  },
  {
    name: "read_csv_rows",
    replaces: "pandas.read_csv(path) for row-wise processing",
    snippet: `import csv


def read_csv_rows(path: str, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    """Rows as dicts keyed by the header line; values stay strings, convert them where they are used."""
    with open(path, newline="", encoding=encoding) as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))
`,
  },
  {
    name: "retry_call",
    replaces: "tenacity's @retry with exponential backoff",
    snippet: `import logging
import time

log = logging.getLogger(__name__)


def retry_call(func, attempts: int = 3, first_delay: float = 1.0, backoff: float = 2.0, retry_on: tuple = (Exception,)):
    """Call func() until it succeeds. Only in execute(): a sensor's poke() returns False instead of sleeping."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except retry_on as error:
            if attempt == attempts:
                raise
            log.warning("attempt %d of %d failed (%s); retrying in %.1fs", attempt, attempts, error, delay)
            time.sleep(delay)
            delay *= backoff
    return None
`,
  },
  {
    name: "parse_iso_datetime",
    replaces: "dateutil.parser.isoparse(text)",
    snippet: `from datetime import datetime, timezone


def parse_iso_datetime(text: str) -> datetime:
    """ISO 8601 text (a trailing Z included) as an aware datetime; naive input is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
`,
  },
  {
    name: "post_slack_webhook",
    replaces: "slack_sdk.WebhookClient(url).send(text=...)",
    snippet: `import json
import urllib.request


def post_slack_webhook(webhook_url: str, text: str, timeout: float = 30.0) -> None:
    """Post a message to a Slack incoming webhook (its URL belongs in an Airflow connection, not in code)."""
    request = urllib.request.Request(
        webhook_url,
        data=json.dumps({"text": text}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
`,
  },
];

const hook = (name: string, provider: string, module: string, note?: string): SeedAlternative => ({
  kind: "provider_hook",
  name,
  package: `apache-airflow-providers-${provider}`,
  importLine: `from airflow.providers.${module} import ${name}`,
  ...(note === undefined ? {} : { note }),
  source: providerDocs(provider),
});

const stdlib = (name: string): SeedAlternative => {
  const fallback = STDLIB_FALLBACKS.find((f) => f.name === name);
  if (fallback === undefined) throw new Error(`seed: no stdlib fallback named ${name}`);
  return { kind: "stdlib", name, note: `replaces ${fallback.replaces}` };
};

export const SEED_LIBRARIES: readonly SeedLibrary[] = [
  {
    library: "requests",
    alternatives: [
      hook("HttpHook", "http", "http.hooks.http", "takes the base URL and auth from an Airflow connection; run(endpoint, data=...) returns a requests.Response"),
      stdlib("http_get_json"),
      stdlib("http_post_json"),
    ],
  },
  {
    library: "boto3",
    alternatives: [
      hook("S3Hook", "amazon", "amazon.aws.hooks.s3", "credentials come from the aws connection"),
      hook("AwsBaseHook", "amazon", "amazon.aws.hooks.base_aws", "AwsBaseHook(client_type=\"sqs\").get_conn() gives any boto3 client with the connection's credentials"),
    ],
  },
  { library: "psycopg2", alternatives: [hook("PostgresHook", "postgres", "postgres.hooks.postgres")] },
  { library: "psycopg2-binary", alternatives: [hook("PostgresHook", "postgres", "postgres.hooks.postgres")] },
  { library: "pymysql", alternatives: [hook("MySqlHook", "mysql", "mysql.hooks.mysql")] },
  { library: "mysqlclient", alternatives: [hook("MySqlHook", "mysql", "mysql.hooks.mysql")] },
  { library: "mysql-connector-python", alternatives: [hook("MySqlHook", "mysql", "mysql.hooks.mysql")] },
  { library: "redis", alternatives: [hook("RedisHook", "redis", "redis.hooks.redis")] },
  {
    library: "slack-sdk",
    alternatives: [
      hook("SlackHook", "slack", "slack.hooks.slack"),
      hook("SlackWebhookHook", "slack", "slack.hooks.slack_webhook", "for incoming webhooks"),
      stdlib("post_slack_webhook"),
    ],
  },
  {
    library: "paramiko",
    alternatives: [
      hook("SSHHook", "ssh", "ssh.hooks.ssh"),
      hook("SFTPHook", "sftp", "sftp.hooks.sftp", "for file transfer; SSH and SFTP have no stdlib fallback"),
    ],
  },
  {
    library: "pysftp",
    alternatives: [
      hook("SFTPHook", "sftp", "sftp.hooks.sftp", "SFTP has no stdlib fallback"),
      { kind: "package", name: "paramiko", package: "paramiko", importLine: "import paramiko", note: "pysftp is unmaintained; paramiko is what the SFTP provider uses", source: "https://pypi.org/project/pysftp/" },
    ],
  },
  {
    library: "google-cloud-storage",
    alternatives: [hook("GCSHook", "google", "google.cloud.hooks.gcs", "credentials come from the google_cloud_default connection")],
  },
  { library: "google-cloud-bigquery", alternatives: [hook("BigQueryHook", "google", "google.cloud.hooks.bigquery")] },
  {
    library: "snowflake-connector-python",
    alternatives: [hook("SnowflakeHook", "snowflake", "snowflake.hooks.snowflake")],
    notes: [
      {
        note: "the [pandas] extra of snowflake-connector-python conflicts with the pyarrow that Airflow's constraints pin (16.1.0)",
        source: CONSTRAINTS,
      },
    ],
  },
  { library: "pymongo", alternatives: [hook("MongoHook", "mongo", "mongo.hooks.mongo")] },
  { library: "azure-storage-blob", alternatives: [hook("WasbHook", "microsoft-azure", "microsoft.azure.hooks.wasb")] },
  { library: "pymssql", alternatives: [hook("MsSqlHook", "microsoft-mssql", "microsoft.mssql.hooks.mssql")] },
  {
    library: "cx-Oracle",
    alternatives: [
      hook("OracleHook", "oracle", "oracle.hooks.oracle"),
      { kind: "package", name: "oracledb", package: "oracledb", importLine: "import oracledb", note: "python-oracledb is cx_Oracle's renamed successor", source: "https://pypi.org/project/oracledb/" },
    ],
  },
  {
    library: "kafka-python",
    alternatives: [
      hook("KafkaProducerHook", "apache-kafka", "apache.kafka.hooks.produce"),
      { kind: "package", name: "confluent-kafka", package: "confluent-kafka", importLine: "from confluent_kafka import Producer", note: "the client the Kafka provider is built on", source: providerDocs("apache-kafka") },
    ],
  },
  { library: "docker", alternatives: [hook("DockerHook", "docker", "docker.hooks.docker")] },
  { library: "kubernetes", alternatives: [hook("KubernetesHook", "cncf-kubernetes", "cncf.kubernetes.hooks.kubernetes")] },
  {
    library: "pandas",
    alternatives: [stdlib("read_csv_rows")],
    notes: [
      {
        note: "Airflow's constraints pin pandas 2.1.4; pandas >= 2.2 with the pinned SQLAlchemy 1.4 fails ('Connection' object has no attribute 'cursor'), so do not require pandas>=2.2",
        source: CONSTRAINTS,
      },
    ],
  },
  {
    library: "sqlalchemy",
    alternatives: [],
    notes: [{ note: "Airflow's constraints pin SQLAlchemy 1.4.x: SQLAlchemy 2.0-only APIs fail; get an engine from the database hook (get_sqlalchemy_engine())", source: CONSTRAINTS }],
  },
  { library: "numpy", alternatives: [], notes: [{ note: "Airflow's constraints pin numpy 1.26.4: numpy 2-only APIs fail", source: CONSTRAINTS }] },
  { library: "pyarrow", alternatives: [], notes: [{ note: "Airflow's constraints pin pyarrow 16.1.0", source: CONSTRAINTS }] },
  {
    library: "great-expectations",
    alternatives: [],
    notes: [{ note: "conflicts with Airflow's SQLAlchemy pin; run it isolated (PythonVirtualenvOperator, ExternalPythonOperator or a container)", source: ISOLATION }],
  },
  { library: "tenacity", alternatives: [stdlib("retry_call")] },
  { library: "python-dateutil", alternatives: [stdlib("parse_iso_datetime")] },
];

export interface SeedResult {
  alternatives: number;
  notes: number;
}

/** A curated `library_alternatives` row, as every writer of it stores it. */
export interface CuratedAlternativeRow {
  library: string;
  airflow_major: AirflowMajor | null;
  kind: AlternativeKind;
  name: string;
  rank: number;
  package: string | null;
  import_line: string | null;
  snippet: string | null;
  note: string | null;
  source: string | null;
}

/** A curated `library_notes` row. */
export interface CuratedNoteRow {
  library: string;
  airflow_major: AirflowMajor | null;
  note: string;
  source: string;
}

/** The rows SEED_LIBRARIES stands for: what the SQLite store and the Kysely layer both write. */
export function curatedLibraryRows(): { alternatives: CuratedAlternativeRow[]; notes: CuratedNoteRow[] } {
  const alternatives: CuratedAlternativeRow[] = [];
  const notes: CuratedNoteRow[] = [];
  for (const entry of SEED_LIBRARIES) {
    const library = normalizeLibraryName(entry.library);
    const airflowMajor = entry.airflowMajor ?? null;
    entry.alternatives.forEach((alt, rank) => {
      alternatives.push({
        library,
        airflow_major: airflowMajor,
        kind: alt.kind,
        name: alt.name,
        rank,
        package: alt.package ?? null,
        import_line: alt.importLine ?? null,
        snippet: alt.kind === "stdlib" ? (STDLIB_FALLBACKS.find((f) => f.name === alt.name)?.snippet ?? null) : null,
        note: alt.note ?? null,
        source: alt.source ?? null,
      });
    });
    for (const n of entry.notes ?? []) notes.push({ library, airflow_major: airflowMajor, note: n.note, source: n.source });
  }
  return { alternatives, notes };
}

/**
 * Writes the curated rows, replacing earlier curated ones, in one transaction (the caller's when `db` is
 * one); rows people added (curated = 0) stay and win over a curated row with the same key. Running it twice
 * changes nothing.
 */
export function seedLibraries(db: Kysely<Tables>): Promise<SeedResult> {
  return seedLibraryRows(db);
}

/**
 * seedLibraries for the synchronous store's migration 004, which runs inside better-sqlite3's synchronous
 * migration and so cannot await; it goes when that store does.
 */
export function seedLibrariesInStore(db: Database): SeedResult {
  return db.transaction((): SeedResult => {
    db.prepare("DELETE FROM library_alternatives WHERE curated = 1").run();
    db.prepare("DELETE FROM library_notes WHERE curated = 1").run();
    const insertAlternative = db.prepare(
      `INSERT INTO library_alternatives (library, airflow_major, kind, name, rank, package, import_line, snippet, note, source, curated)
       VALUES (@library, @airflow_major, @kind, @name, @rank, @package, @import_line, @snippet, @note, @source, 1)
       ON CONFLICT (library, kind, name) DO NOTHING`,
    );
    const insertNote = db.prepare(
      `INSERT INTO library_notes (library, airflow_major, note, source, curated) VALUES (@library, @airflow_major, @note, @source, 1)
       ON CONFLICT (library, note) DO NOTHING`,
    );
    const rows = curatedLibraryRows();
    let alternatives = 0;
    let notes = 0;
    for (const row of rows.alternatives) alternatives += insertAlternative.run(row).changes;
    for (const row of rows.notes) notes += insertNote.run(row).changes;
    return { alternatives, notes };
  })();
}
