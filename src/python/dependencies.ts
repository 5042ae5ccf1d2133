/**
 * Which distribution provides an import, so a spec's `dependencies` (PEP 508 strings) can be checked against
 * what a file imports. Import names and distribution names often differ (yaml ↔ PyYAML).
 */

/** PEP 503 normalized distribution name. */
export function normalizeDist(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, "-");
}

/** The distribution name of a PEP 508 requirement (`requests[socks]>=2.31 ; python_version>"3.8"` → `requests`). */
export function requirementName(requirement: string): string {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement);
  return normalizeDist(match?.[1] ?? requirement);
}

/** Import prefix → distributions that provide it, where the names differ. Longest prefix wins. */
const IMPORT_TO_DISTS: Record<string, string[]> = {
  yaml: ["pyyaml"],
  PIL: ["pillow"],
  sklearn: ["scikit-learn"],
  skimage: ["scikit-image"],
  dateutil: ["python-dateutil"],
  bs4: ["beautifulsoup4"],
  cv2: ["opencv-python", "opencv-python-headless", "opencv-contrib-python"],
  "google.protobuf": ["protobuf"],
  "google.auth": ["google-auth"],
  "google.oauth2": ["google-auth"],
  "google.api_core": ["google-api-core"],
  "google.ads": ["google-ads"],
  googleapiclient: ["google-api-python-client"],
  jwt: ["pyjwt"],
  Crypto: ["pycryptodome", "pycrypto"],
  Cryptodome: ["pycryptodomex"],
  OpenSSL: ["pyopenssl"],
  magic: ["python-magic"],
  dotenv: ["python-dotenv"],
  psycopg2: ["psycopg2", "psycopg2-binary"],
  psycopg: ["psycopg", "psycopg-binary"],
  MySQLdb: ["mysqlclient"],
  "snowflake.connector": ["snowflake-connector-python"],
  "snowflake.sqlalchemy": ["snowflake-sqlalchemy"],
  "snowflake.snowpark": ["snowflake-snowpark-python"],
  attr: ["attrs"],
  jose: ["python-jose"],
  serial: ["pyserial"],
  kafka: ["kafka-python"],
  docx: ["python-docx"],
  pptx: ["python-pptx"],
  ldap: ["python-ldap"],
  jenkins: ["python-jenkins"],
  gitlab: ["python-gitlab"],
  github: ["pygithub"],
  telegram: ["python-telegram-bot"],
  fitz: ["pymupdf"],
  zmq: ["pyzmq"],
  nacl: ["pynacl"],
  dns: ["dnspython"],
  websocket: ["websocket-client"],
  pkg_resources: ["setuptools"],
  smbclient: ["smbprotocol"],
  impala: ["impyla"],
  "databricks.sql": ["databricks-sql-connector"],
  "databricks.sdk": ["databricks-sdk"],
  slugify: ["python-slugify"],
  Levenshtein: ["python-levenshtein", "levenshtein"],
  win32api: ["pywin32"],
  usb: ["pyusb"],
  hdfs: ["hdfs"],
  pymssql: ["pymssql"],
  cx_Oracle: ["cx-oracle"],
  oracledb: ["oracledb"],
  upath: ["universal-pathlib"],
  re2: ["google-re2"],
  grpc: ["grpcio"],
  lazy_object_proxy: ["lazy-object-proxy"],
  typing_extensions: ["typing-extensions"],
  pythonjsonlogger: ["python-json-logger"],
  ruamel: ["ruamel-yaml"],
  tableauserverclient: ["tableauserverclient"],
  cassandra: ["cassandra-driver", "scylla-driver"],
  arango: ["python-arango"],
  atlassian: ["atlassian-python-api"],
  jpype: ["jpype1"],
  winrm: ["pywinrm"],
  opensearchpy: ["opensearch-py"],
  prestodb: ["presto-python-client"],
  analytics: ["analytics-python", "segment-analytics-python"],
  weaviate: ["weaviate-client"],
  qdrant_client: ["qdrant-client"],
  pinecone: ["pinecone", "pinecone-client"],
  neo4j: ["neo4j"],
  influxdb_client: ["influxdb-client"],
  pydruid: ["pydruid"],
  hvac: ["hvac"],
  ydb: ["ydb"],
  pyspark: ["pyspark"],
  airflow_client: ["apache-airflow-client"],
  elasticsearch: ["elasticsearch"],
  pyexasol: ["pyexasol"],
  teradatasql: ["teradatasql"],
  vertica_python: ["vertica-python"],
  tableau_api_lib: ["tableau-api-lib"],
  mysql: ["mysql-connector-python"],
  pgvector: ["pgvector"],
  facebook_business: ["facebook-business"],
  dbt: ["dbt-core"],
  openlineage: ["openlineage-python", "openlineage-integration-common"],
  pysftp: ["pysftp"],
  smbprotocol: ["smbprotocol"],
  yandexcloud: ["yandexcloud"],
  yandex: ["yandexcloud", "yandex-query-client"],
  kylinpy: ["kylinpy"],
  "azure.kusto": ["azure-kusto-data"],
  "azure.identity": ["azure-identity"],
  "azure.core": ["azure-core"],
  "azure.mgmt": ["azure-mgmt-resource"],
  "azure.servicebus": ["azure-servicebus"],
  "azure.cosmos": ["azure-cosmos"],
  "azure.storage.blob": ["azure-storage-blob"],
  "azure.storage.fileshare": ["azure-storage-file-share"],
  "azure.storage.filedatalake": ["azure-storage-file-datalake"],
  "azure.datalake.store": ["azure-datalake-store"],
  "google.cloud.sql": ["google-cloud-sql"],
};

/** Libraries that other distributions install with them (what a spec may rely on without naming it). */
const TRANSITIVE: Record<string, string[]> = {
  "msgraph-core": ["kiota_abstractions", "kiota_authentication_azure", "kiota_http", "kiota_serialization_json", "kiota_serialization_text", "msgraph_core", "httpx", "azure"],
  papermill: ["jupyter_client", "traitlets", "nbformat", "nbconvert", "scrapbook"],
  "qdrant-client": ["grpc", "numpy", "portalocker"],
  "apache-beam": ["google", "numpy", "pyarrow", "grpc"],
  pandas: ["numpy", "pytz", "dateutil"],
  pyarrow: ["numpy"],
  boto3: ["botocore", "s3transfer", "jmespath"],
  "google-auth": ["google"],
  "google-api-core": ["google"],
  "azure-identity": ["azure", "msal"],
  "azure-mgmt-containerinstance": ["msrestazure", "msrest", "azure"],
  "azure-batch": ["msrest", "msrestazure", "azure"],
  "snowflake-connector-python": ["snowflake"],
  "python-arango": ["arango"],
  "weaviate-client": ["weaviate", "grpc"],
  jaydebeapi: ["jpype"],
  "google-auth-httplib2": ["httplib2"],
  elasticsearch: ["elastic_transport"],
  "pyhive": ["thrift", "thrift_sasl", "sasl", "pure_sasl"],
};

/** Third-party packages Airflow itself installs, importable by any component without declaring them. */
const AIRFLOW_CORE_IMPORTS = new Set([
  "airflow", "requests", "sqlalchemy", "pendulum", "jinja2", "tenacity", "attr", "attrs", "pydantic", "dateutil",
  "packaging", "typing_extensions", "croniter", "cryptography", "markupsafe", "flask", "werkzeug", "httpx", "rich",
  "pygments", "psutil", "lazy_object_proxy", "itsdangerous", "tabulate", "termcolor", "slugify", "alembic",
  "argcomplete", "blinker", "colorlog", "dill", "deprecated", "fsspec", "upath", "importlib_metadata",
  "more_itertools", "asgiref", "yaml", "re2", "sqlalchemy_jsonfield", "setproctitle", "uvicorn", "fastapi",
  "structlog", "msgspec", "methodtools", "jsonschema", "urllib3", "certifi", "idna", "charset_normalizer",
  "opentelemetry", "sqlparse", "aiohttp", "multidict", "yarl", "marshmallow", "flask_appbuilder", "click",
  "lockfile", "python_daemon", "daemon", "universal_pathlib", "wrapt", "sniffio", "anyio", "h11", "httpcore", "pytz",
  "flask_babel", "wtforms", "flask_wtf", "flask_login", "flask_session", "flask_caching", "connexion", "email_validator",
]);

/** Providers installed together with apache-airflow (2.9+ and 3.x). */
const PREINSTALLED_PROVIDERS = new Set(["common.sql", "common.compat", "common.io", "fab", "ftp", "http", "imap", "smtp", "sqlite", "standard"]);

/** Libraries a provider brings with it, so declaring the provider covers them. */
const PROVIDER_BRINGS: Record<string, string[]> = {
  "apache-airflow-providers-amazon": ["boto3", "botocore", "s3transfer", "jmespath", "watchtower", "redshift_connector", "asgiref"],
  "apache-airflow-providers-google": ["google", "googleapiclient", "grpc", "proto", "gcloud", "pandas_gbq"],
  "apache-airflow-providers-microsoft-azure": ["azure", "msal", "adlfs", "msgraph"],
  "apache-airflow-providers-http": ["requests", "requests_toolbelt", "aiohttp"],
  "apache-airflow-providers-postgres": ["psycopg2"],
  "apache-airflow-providers-mysql": ["MySQLdb", "mysql"],
  "apache-airflow-providers-snowflake": ["snowflake"],
  "apache-airflow-providers-databricks": ["databricks"],
  "apache-airflow-providers-slack": ["slack_sdk"],
  "apache-airflow-providers-ssh": ["paramiko", "sshtunnel"],
  "apache-airflow-providers-sftp": ["paramiko", "asyncssh"],
  "apache-airflow-providers-redis": ["redis"],
  "apache-airflow-providers-mongo": ["pymongo", "dns"],
  "apache-airflow-providers-docker": ["docker"],
  "apache-airflow-providers-cncf-kubernetes": ["kubernetes", "kubernetes_asyncio"],
  "apache-airflow-providers-elasticsearch": ["elasticsearch"],
  "apache-airflow-providers-apache-kafka": ["confluent_kafka"],
};

export interface ImportVerdict {
  /** stdlib, airflow core (or its own dependencies and preinstalled providers), declared, or undeclared. */
  status: "stdlib" | "airflow" | "declared" | "undeclared";
  /** Distribution names that would satisfy the import. */
  candidates: string[];
}

/** Candidate distributions for an absolute module path. */
export function distributionsFor(module: string): string[] {
  const parts = module.split(".");
  const top = parts[0] ?? module;
  if (top === "airflow" && parts[1] === "providers" && parts.length > 2) {
    // airflow.providers.apache.hive.hooks → apache-airflow-providers-apache-hive; the provider id is not
    // delimited in the path, so offer each prefix.
    const out: string[] = [];
    for (let n = 3; n <= Math.min(parts.length, 5); n++) out.push(`apache-airflow-providers-${parts.slice(2, n).join("-")}`);
    return out.map(normalizeDist);
  }
  for (let n = parts.length; n >= 1; n--) {
    const prefix = parts.slice(0, n).join(".");
    const mapped = IMPORT_TO_DISTS[prefix];
    if (mapped) return [...mapped.map(normalizeDist), normalizeDist(top)];
  }
  if ((top === "google" || top === "azure") && parts.length > 1) {
    const out: string[] = [];
    for (let n = 2; n <= Math.min(parts.length, 4); n++) out.push(normalizeDist(parts.slice(0, n).join("-")));
    return out;
  }
  return [normalizeDist(top)];
}

export function classifyImport(module: string, isStdlib: boolean, dependencies: string[] | undefined): ImportVerdict {
  const parts = module.split(".");
  const top = parts[0] ?? module;
  const candidates = distributionsFor(module);
  if (isStdlib) return { status: "stdlib", candidates };
  if (top === "airflow") {
    if (parts[1] !== "providers") return { status: "airflow", candidates };
    const providerPath = parts.slice(2).join(".");
    for (const pre of PREINSTALLED_PROVIDERS) if (providerPath === pre || providerPath.startsWith(`${pre}.`)) return { status: "airflow", candidates };
    if (!dependencies) return { status: "airflow", candidates };
  } else if (AIRFLOW_CORE_IMPORTS.has(top)) return { status: "airflow", candidates };
  if (!dependencies) return { status: "undeclared", candidates };
  const declared = new Set(dependencies.map(requirementName));
  if (candidates.some((c) => declared.has(c))) return { status: "declared", candidates };
  for (const dep of declared) {
    if (PROVIDER_BRINGS[dep]?.includes(top) || TRANSITIVE[dep]?.includes(top)) return { status: "declared", candidates };
    if (dep.startsWith("azure-") && (top === "azure" || top === "msrest" || top === "msrestazure")) return { status: "declared", candidates };
    // google.auth, google.protobuf, google.api_core come with any Google client; google.cloud.<x> needs its own.
    if (dep.startsWith("google-") && top === "google" && parts[1] !== "cloud") return { status: "declared", candidates };
  }
  return { status: "undeclared", candidates };
}
