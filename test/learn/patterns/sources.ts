/** Realistic Python sources for extraction tests: components as opforge generates them, in several spellings. */

export const WEATHER_OPERATOR = `"""Fetches a forecast from a weather API."""
from __future__ import annotations

from typing import Any, Sequence

import requests

try:
    from airflow.sdk import BaseOperator
except ImportError:
    from airflow.models.baseoperator import BaseOperator

from airflow.exceptions import AirflowException
from airflow.hooks.base import BaseHook


class WeatherFetchOperator(BaseOperator):
    """Fetch the forecast for a city."""

    template_fields: Sequence[str] = ("city", "endpoint")
    ui_color = "#e8f7e4"

    def __init__(self, *, city: str, endpoint: str = "/forecast", http_conn_id: str = "weather_default", timeout: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.city = city
        self.endpoint = endpoint
        self.http_conn_id = http_conn_id
        self.timeout = timeout

    def execute(self, context: Any) -> dict:
        conn = BaseHook.get_connection(self.http_conn_id)
        url = f"https://{conn.host}{self.endpoint}"
        self.log.info("Fetching forecast for %s from %s", self.city, url)
        try:
            response = requests.get(url, params={"q": self.city}, timeout=self.timeout)
            response.raise_for_status()
        except requests.exceptions.RequestException as err:
            raise AirflowException(f"Weather request failed: {err}") from err
        return response.json()
`;

/** The same operator with every local name, literal, quote style and wrapping changed: the same shapes. */
export const STOCK_OPERATOR = `from __future__ import annotations

from typing import Any, Sequence

import requests

try:
    from airflow.sdk import BaseOperator
except ImportError:
    from airflow.models.baseoperator import BaseOperator

from airflow.exceptions import AirflowException
from airflow.hooks.base import BaseHook


class StockQuoteOperator(BaseOperator):
    # Quotes for one ticker symbol.
    template_fields: Sequence[str] = ('symbol', 'path')
    ui_color = '#ffefeb'

    def __init__(
        self,
        *,
        symbol: str,
        path: str = '/quote',
        quotes_conn_id: str = 'quotes_api',
        timeout: int = 10,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.symbol = symbol
        self.path = path
        self.quotes_conn_id = quotes_conn_id
        self.timeout = timeout

    def execute(self, context: Any) -> dict:
        connection = BaseHook.get_connection(self.quotes_conn_id)
        address = f"https://{connection.host}{self.path}"
        self.log.info('Quoting %s at %s', self.symbol, address)
        try:
            reply = requests.get(
                address,
                params={'s': self.symbol},
                timeout=self.timeout,
            )
            reply.raise_for_status()
        except requests.exceptions.RequestException as exc:
            raise AirflowException(f'Quote request failed: {exc}') from exc
        return reply.json()
`;

export const S3_OPERATOR = `from typing import Sequence

import boto3
from botocore.exceptions import ClientError

from airflow.models.baseoperator import BaseOperator
from airflow.exceptions import AirflowException


class S3ArchiveOperator(BaseOperator):
    template_fields: Sequence[str] = ["bucket", "key", "target_key"]

    def __init__(self, bucket, key, target_key, aws_conn_id="aws_default", **kwargs):
        super().__init__(**kwargs)
        self.bucket = bucket
        self.key = key
        self.target_key = target_key
        self.aws_conn_id = aws_conn_id

    def execute(self, context):
        client = boto3.client("s3")
        self.log.warning("Copying s3://%s/%s", self.bucket, self.key)
        try:
            client.copy_object(Bucket=self.bucket, Key=self.target_key, CopySource={"Bucket": self.bucket, "Key": self.key})
            client.delete_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            self.log.error("S3 archive failed")
            raise AirflowException(str(error))
        return self.target_key
`;

export const FILE_SENSOR = `from __future__ import annotations

import os
from typing import Sequence

try:
    from airflow.sdk import BaseSensorOperator, PokeReturnValue
except ImportError:
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue


class MarkerFileSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("marker_path",)

    def __init__(self, *, marker_path: str, min_size: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.marker_path = marker_path
        self.min_size = min_size

    def poke(self, context) -> PokeReturnValue:
        self.log.info("Poking for %s", self.marker_path)
        if not os.path.exists(self.marker_path):
            return PokeReturnValue(is_done=False)
        size = os.path.getsize(self.marker_path)
        return PokeReturnValue(is_done=size >= self.min_size, xcom_value=size)
`;

export const REDIS_HOOK = `from __future__ import annotations

from typing import Any

import redis

from airflow.hooks.base import BaseHook


class CacheHook(BaseHook):
    conn_name_attr = "cache_conn_id"
    default_conn_name = "cache_default"
    conn_type = "redis"
    hook_name = "Cache"

    def __init__(self, cache_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache_conn_id = cache_conn_id
        self.client = None

    def get_conn(self) -> redis.Redis:
        if self.client is None:
            conn = self.get_connection(self.cache_conn_id)
            db = conn.extra_dejson.get("db", 0)
            self.client = redis.Redis(host=conn.host, port=conn.port or 6379, password=conn.password, db=db)
        return self.client
`;

export const WEATHER_TEST = `from unittest import mock

import pytest
import requests

from airflow.exceptions import AirflowException
from operators.weather_fetch import WeatherFetchOperator


@pytest.fixture
def operator():
    return WeatherFetchOperator(task_id="fetch", city="Oslo", endpoint="/forecast")


@mock.patch("operators.weather_fetch.BaseHook.get_connection")
@mock.patch("operators.weather_fetch.requests.get")
def test_execute_returns_json(mock_get, mock_conn, operator):
    mock_conn.return_value.host = "api.example.com"
    mock_get.return_value.json.return_value = {"temp": 3}
    result = operator.execute(context={})
    assert result == {"temp": 3}
    mock_get.assert_called_once()


def test_execute_raises_on_http_error(operator):
    with mock.patch("operators.weather_fetch.requests.get") as get, mock.patch("operators.weather_fetch.BaseHook.get_connection"):
        get.side_effect = requests.exceptions.ConnectionError("down")
        with pytest.raises(AirflowException):
            operator.execute(context={})
`;

/** The weather test for another component: same structure, other names and literals. */
export const STOCK_TEST = `from unittest import mock

import pytest
import requests

from airflow.exceptions import AirflowException
from operators.stock_quote import StockQuoteOperator


@pytest.fixture
def op():
    return StockQuoteOperator(task_id="quote", symbol="ACME", path="/q")


@mock.patch("operators.stock_quote.BaseHook.get_connection")
@mock.patch("operators.stock_quote.requests.get")
def test_quote(fake_get, fake_conn, op):
    fake_conn.return_value.host = "quotes.example.com"
    fake_get.return_value.json.return_value = {"price": 12.5}
    out = op.execute(context={})
    assert out == {"price": 12.5}
    fake_get.assert_called_once()
`;

export const PY2_DUAL_IMPORT = `try:
    from urllib.parse import urlencode
except ImportError:
    from urllib import urlencode

try:
    import simplejson as json
except ImportError:
    import json

from airflow.models import BaseOperator


class QueryOperator(BaseOperator):
    def __init__(self, *, query: str, **kwargs):
        super().__init__(**kwargs)
        self.query = query

    def execute(self, context):
        return urlencode({"q": json.dumps(self.query)})
`;
