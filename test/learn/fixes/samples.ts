/** Generated components and the versions a maintainer merged, for the learning tests. */
import type { MergeInput } from "../../../src/learn/fixes/index.js";

export const WEATHER_GENERATED = `from airflow.models.baseoperator import BaseOperator
from airflow.providers.http.hooks.http import HttpHook


class WeatherOperator(BaseOperator):
    template_fields = ("city")

    def __init__(self, *, endpoint, city, headers=None):
        super().__init__()
        self.endpoint = endpoint
        self.city = city
        self.headers = headers

    def execute(self, context):
        # ask the API
        hook = HttpHook(method="GET", http_conn_id="weather_api")
        when = context["execution_date"]
        self.log.info("Fetching %s for %s", self.city, when)
        return hook.run(self.endpoint, headers=self.headers).json()
`;

/** The maintainer's fixes: a one-field tuple, **kwargs passed on, Airflow 3's logical_date, a reworded comment. */
export const WEATHER_MERGED = `from airflow.models.baseoperator import BaseOperator
from airflow.providers.http.hooks.http import HttpHook


class WeatherOperator(BaseOperator):
    template_fields = ("city",)

    def __init__(self, *, endpoint, city, headers=None, **kwargs):
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.city = city
        self.headers = headers

    def execute(self, context):
        # ask the forecast API
        hook = HttpHook(method="GET", http_conn_id="weather_api")
        when = context["logical_date"]
        self.log.info("Fetching %s for %s", self.city, when)
        return hook.run(self.endpoint, headers=self.headers).json()
`;

/** A different component with other names, making the same mistakes. */
export const S3_SENSOR = `from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sensors.base import BaseSensorOperator


class ReportKeySensor(BaseSensorOperator):
    template_fields = ("bucket_key")

    def __init__(self, *, bucket_key, bucket_name, aws_conn_id=None):
        super().__init__()
        self.bucket_key = bucket_key
        self.bucket_name = bucket_name
        self.aws_conn_id = aws_conn_id

    def poke(self, context):
        hook = S3Hook(aws_conn_id=self.aws_conn_id)
        return hook.check_for_key(self.bucket_key, self.bucket_name)
`;

export const ORDER_GENERATED = `from airflow.models.baseoperator import BaseOperator


class ExportOperator(BaseOperator):
    def __init__(self, table, where=None, target, **kwargs):
        super().__init__(**kwargs)
        self.table = table
        self.where = where
        self.target = target

    def execute(self, context):
        return [self.table, self.where, self.target]
`;

export const ORDER_MERGED = ORDER_GENERATED.replace(
  "def __init__(self, table, where=None, target, **kwargs):",
  "def __init__(self, table, target, where=None, **kwargs):",
);

export const ORDER_OTHER = `from airflow.models.baseoperator import BaseOperator


class ArchiveOperator(BaseOperator):
    def __init__(self, source_path, pattern=None, archive_path, **kwargs):
        super().__init__(**kwargs)
        self.source_path = source_path
        self.pattern = pattern
        self.archive_path = archive_path

    def execute(self, context):
        return self.archive_path
`;

export function mergeInput(generated: string, merged: string | null, overrides: Partial<MergeInput> = {}): MergeInput {
  return {
    generatedFiles: [{ path: "plugins/operators/component.py", content: generated }],
    mergedFiles: new Map([["plugins/operators/component.py", merged]]),
    prNumber: 12,
    mergeSha: "9f2c4e1ab7d3",
    repo: "acme/pipelines",
    signatureIds: [],
    ...overrides,
  };
}
