import { describe, expect, it } from "vitest";
import { readFilesAtRef } from "../../src/github/index.js";
import { REPO_PATH, fixture, github, makeOctokit, unmatchedRequests, useNock } from "./helpers.js";

useNock();

const MERGE_SHA = "9c48853fa3dc5c1c3d6f1f1cd1f2743e72652840";
const SENSOR = "plugins/sensors/s3_key_size_sensor.py";
const SENSOR_SOURCE = 'from airflow.sensors.base import BaseSensorOperator\n\n\nclass S3KeySizeSensor(BaseSensorOperator):\n    """Waits for a key — größer als 0."""\n';

/** GitHub wraps base64 content at 60 characters with newlines. */
function githubBase64(text: string): string {
  return (Buffer.from(text, "utf8").toString("base64").match(/.{1,60}/g) ?? []).join("\n") + "\n";
}

function fileBody(path: string, text: string): Record<string, unknown> {
  return { ...fixture("content-file"), path, name: path.split("/").pop(), size: Buffer.byteLength(text), content: githubBase64(text) };
}

describe("readFilesAtRef", () => {
  it("decodes each file at the ref and maps missing ones to null", async () => {
    github()
      .get(`${REPO_PATH}/contents/plugins%2Fsensors%2Fs3_key_size_sensor.py`)
      .query({ ref: MERGE_SHA })
      .reply(200, fileBody(SENSOR, SENSOR_SOURCE))
      .get(`${REPO_PATH}/contents/dags%2Fexample_s3_key_size_sensor.py`)
      .query({ ref: MERGE_SHA })
      .reply(404, fixture("error-not-found"));

    const files = await readFilesAtRef(makeOctokit(), {
      owner: "octo-org",
      repo: "airflow-plugins",
      ref: MERGE_SHA,
      paths: [SENSOR, "dags/example_s3_key_size_sensor.py", SENSOR],
    });

    expect([...files.entries()]).toEqual([
      [SENSOR, SENSOR_SOURCE],
      ["dags/example_s3_key_size_sensor.py", null],
    ]);
  });

  it("reads a file over 1 MB through the blob API (contents answers encoding none)", async () => {
    const big = "# padding\n".repeat(120_000);
    github()
      .get(`${REPO_PATH}/contents/plugins%2Fsensors%2Fs3_key_size_sensor.py`)
      .query({ ref: MERGE_SHA })
      .reply(200, { ...fixture("content-file"), size: big.length, encoding: "none", content: "" })
      .get(`${REPO_PATH}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1`)
      .reply(200, {
        sha: "3d21ec53a331a6f037a91c368710b99387d012c1",
        node_id: "B_kwDOABCD1NoAKDNkMjFlYzUz",
        size: big.length,
        url: `https://api.github.com${REPO_PATH}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1`,
        content: githubBase64(big),
        encoding: "base64",
      });

    const files = await readFilesAtRef(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", ref: MERGE_SHA, paths: [SENSOR] });

    expect(files.get(SENSOR)).toBe(big);
  });

  it("refuses a directory with an error naming the path", async () => {
    github()
      .get(`${REPO_PATH}/contents/plugins%2Fsensors`)
      .query({ ref: MERGE_SHA })
      .reply(200, [fixture("content-file")]);

    await expect(readFilesAtRef(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", ref: MERGE_SHA, paths: ["plugins/sensors"] })).rejects.toThrow(
      `"plugins/sensors" at ${MERGE_SHA} is a directory, not a file`,
    );
  });

  it("lets a rate-limit error through with its status", async () => {
    github()
      .get(`${REPO_PATH}/contents/plugins%2Fsensors%2Fs3_key_size_sensor.py`)
      .query({ ref: MERGE_SHA })
      .reply(403, fixture("error-secondary-rate-limit"));

    await expect(readFilesAtRef(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", ref: MERGE_SHA, paths: [SENSOR] })).rejects.toMatchObject({ status: 403 });
  });

  it("rejects a path that leaves the repository before any HTTP call", async () => {
    await expect(readFilesAtRef(makeOctokit(), { owner: "octo-org", repo: "airflow-plugins", ref: MERGE_SHA, paths: [SENSOR, "../secrets"] })).rejects.toThrow(
      `paths[1] "../secrets" is invalid: path contains a '..' segment`,
    );
    expect(unmatchedRequests).toEqual([]);
  });
});
