import { describe, expect, it } from "vitest";
import { parseRequirement } from "../../src/spec/index.js";
import { normalizeProjectName } from "../../src/spec/pep508.js";

describe("PEP 508 requirement specifiers", () => {
  it.each([
    "requests",
    "requests>=2.31",
    "requests >= 2.28.0",
    "requests>=2.31,<3",
    "requests (>=2.31, <3)",
    "apache-airflow-providers-amazon[s3fs]>=8.20",
    "snowflake-connector-python[pandas,secure-local-storage]==3.6.0",
    "Django~=4.2",
    "numpy==1.26.*",
    "numpy!=1.25.0",
    "pydantic>=2.8,!=2.9.0,<2.12",
    "pkg===1.0-custom",
    "pkg==1.0rc1",
    "pkg==1.0.post2.dev3",
    "pkg==1!2.0",
    "pkg==1.0+local.7",
    "zope.interface>=5",
    'pyarrow>=14.0 ; python_version >= "3.9"',
    'pywin32 ; sys_platform == "win32" and python_version < "3.12"',
    "pkg; (os_name == 'nt' or os_name == 'posix') and extra == 'test'",
    'pkg ; "linux" in sys_platform',
    'pkg ; platform_machine not in "arm64 aarch64"',
    "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
    'mylib @ file:///opt/wheels/mylib-1.0-py3-none-any.whl ; python_version >= "3.9"',
  ])("accepts %s", (text) => {
    const result = parseRequirement(text);
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it("splits a requirement into its parts", () => {
    expect(parseRequirement('boto3[crt] (>=1.34,<2) ; python_version >= "3.9"')).toEqual({
      ok: true,
      requirement: {
        name: "boto3",
        extras: ["crt"],
        specifiers: [
          { operator: ">=", version: "1.34" },
          { operator: "<", version: "2" },
        ],
        marker: 'python_version >= "3.9"',
      },
    });
  });

  it.each([
    ["", /is empty/],
    [">=2.0", /must start with a project name/],
    ["-requests", /must start with a project name/],
    ["pandas 2.1.4", /a version needs an operator, e.g\. pandas==2\.1\.4/],
    ["pandas numpy", /unexpected "numpy" after the name "pandas"; give each requirement its own entry/],
    ["requests>>2", /">2" is not a PEP 440 version/],
    ["requests=>2", /"=>2" needs a comparison operator/],
    ["requests>=", /">=" needs a version after it/],
    ["requests>=2,", /empty version clause/],
    ["requests>=two", /"two" is not a PEP 440 version/],
    ["requests>=2.*", /wildcard version \("2\.\*"\) only works with == or !=/],
    ["requests~=2", /needs at least two release numbers/],
    ["requests<2.0+local", /local version label/],
    ["requests[security", /extras "\[" is never closed/],
    ["requests[sec urity]", /"sec urity" is not a valid extra name/],
    ["requests (>=2", /"\(" around the versions is never closed/],
    ["requests ; python_version", /expected a comparison after "python_version"/],
    ["requests ; python_versio > '3'", /"python_versio" is not a marker variable/],
    ["requests ; python_version >= '3.9' and", /the marker ends too early/],
    ["requests ; (python_version >= '3.9'", /"\(" in the marker is never closed/],
    ["requests ;", /the marker after ';' is empty/],
    ["requests @ not-a-url", /"not-a-url" after "@" is not a URL/],
  ])("refuses %j", (text, message) => {
    const result = parseRequirement(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it("normalizes project names as PEP 503 does", () => {
    expect(normalizeProjectName("Zope.Interface")).toBe("zope-interface");
    expect(normalizeProjectName("apache_airflow__providers-http")).toBe("apache-airflow-providers-http");
  });
});
