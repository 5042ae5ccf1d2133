/** A GitHub Actions job log (timestamped lines) of a pytest run that fails on the generated operator. */
export function pytestFailureLog(error = "AttributeError: 'HealthCheckOperator' object has no attribute 'http_conn_id'"): string {
  const lines = [
    "\uFEFFCurrent runner version: '2.321.0'",
    "##[group]Run pip install -r requirements-dev.txt",
    "Successfully installed apache-airflow-2.10.3 apache-airflow-providers-http-4.13.2 pytest-8.3.3",
    "##[endgroup]",
    "##[group]Run pytest tests/operators -q",
    "============================= test session starts ==============================",
    "collected 3 items",
    "",
    "tests/operators/test_health_check_operator.py .F.                         [100%]",
    "",
    "=================================== FAILURES ===================================",
    "_________________________ test_execute_calls_endpoint __________________________",
    "",
    "    def test_execute_calls_endpoint():",
    ">       result = op.execute(context={})",
    "",
    "plugins/operators/health_check_operator.py:41: in execute",
    "    hook = HttpHook(http_conn_id=self.http_conn_id)",
    `E   ${error}`,
    "",
    `tests/operators/test_health_check_operator.py:22: ${error.split(":")[0]}`,
    "=========================== short test summary info ============================",
    `FAILED tests/operators/test_health_check_operator.py::test_execute_calls_endpoint - ${error}`,
    "========================= 1 failed, 2 passed in 0.41s ==========================",
    "##[error]Process completed with exit code 1.",
    "##[endgroup]",
    "Post job cleanup.",
  ];
  let ms = Date.parse("2026-11-24T10:02:11.000Z");
  return lines.map((line) => `${new Date((ms += 37)).toISOString().replace("Z", "0000Z")} ${line}`).join("\n");
}

export const EXIT_CODE_ANNOTATION = {
  path: ".github",
  start_line: 1,
  end_line: 1,
  annotation_level: "failure" as const,
  title: "",
  message: "Process completed with exit code 1.",
};
