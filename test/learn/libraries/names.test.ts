import { describe, expect, it } from "vitest";
import {
  distributionForImport,
  importNamesFor,
  isNotALibrary,
  normalizeLibraryName,
  requirementLibrary,
} from "../../../src/learn/libraries/index.js";

describe("PEP 503 normalization", () => {
  it.each([
    ["Django", "django"],
    ["PyYAML", "pyyaml"],
    ["zope.interface", "zope-interface"],
    ["Flask_SQLAlchemy", "flask-sqlalchemy"],
    ["foo__bar--baz..qux", "foo-bar-baz-qux"],
    ["snowflake-connector-python", "snowflake-connector-python"],
    ["  Scikit_Learn ", "scikit-learn"],
    ["a-_.b", "a-b"],
  ])("%s → %s", (name, expected) => {
    expect(normalizeLibraryName(name)).toBe(expected);
  });
});

describe("import name → distribution", () => {
  it.each([
    ["yaml", "pyyaml"],
    ["PIL", "pillow"],
    ["PIL.Image", "pillow"],
    ["sklearn", "scikit-learn"],
    ["sklearn.linear_model", "scikit-learn"],
    ["cv2", "opencv-python"],
    ["bs4", "beautifulsoup4"],
    ["dateutil", "python-dateutil"],
    ["dateutil.parser", "python-dateutil"],
    ["google.cloud.storage", "google-cloud-storage"],
    ["google.cloud.bigquery.table", "google-cloud-bigquery"],
    ["google.cloud.secret_manager", "google-cloud-secret-manager"],
    ["snowflake.connector", "snowflake-connector-python"],
    ["slack_sdk", "slack-sdk"],
    ["slack_sdk.errors", "slack-sdk"],
    ["MySQLdb", "mysqlclient"],
    ["azure.storage.blob", "azure-storage-blob"],
    ["azure.servicebus", "azure-servicebus"],
    ["airflow.providers.http.hooks.http", "apache-airflow-providers-http"],
    ["airflow.providers.apache.kafka.hooks.produce", "apache-airflow-providers-apache-kafka"],
    ["airflow.providers.microsoft.azure.hooks.wasb", "apache-airflow-providers-microsoft-azure"],
    ["requests", "requests"],
    ["PyYAML", "pyyaml"],
    ["scikit-learn", "scikit-learn"],
  ])("%s → %s", (module, dist) => {
    expect(distributionForImport(module)).toBe(dist);
  });

  it("maps distributions back to the names tracebacks show", () => {
    expect(importNamesFor("PyYAML")).toContain("yaml");
    expect(importNamesFor("scikit-learn")).toContain("sklearn");
    expect(importNamesFor("google-cloud-storage")).toContain("google.cloud.storage");
    expect(importNamesFor("slack-sdk")).toContain("slack_sdk");
    expect(importNamesFor("pandas")).toEqual(["pandas"]);
  });

  it("reads the distribution of a PEP 508 requirement", () => {
    expect(requirementLibrary('requests[socks]>=2.31 ; python_version > "3.8"')).toBe("requests");
    expect(requirementLibrary("Flask_SQLAlchemy==3.1")).toBe("flask-sqlalchemy");
    expect(requirementLibrary("snowflake-connector-python[pandas] (>=3.0)")).toBe("snowflake-connector-python");
    expect(requirementLibrary(">=2.0")).toBeUndefined();
  });

  it("does not treat the stdlib or Airflow core as libraries, but does treat providers as such", () => {
    expect(isNotALibrary("json")).toBe(true);
    expect(isNotALibrary("urllib.request")).toBe(true);
    expect(isNotALibrary("airflow.models")).toBe(true);
    expect(isNotALibrary("airflow.providers.http.hooks.http")).toBe(false);
    expect(isNotALibrary("pandas")).toBe(false);
  });
});
