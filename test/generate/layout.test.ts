import { describe, expect, it } from "vitest";
import { componentLayout, placeFiles } from "../../src/generate/layout.js";
import { generatedFileNames } from "../../src/generate/naming.js";

describe("componentLayout", () => {
  it("puts operators, sensors and hooks in their plugin folders, importable from plugins/", () => {
    expect(componentLayout({ name: "HttpToS3Operator", component_type: "operator" })).toEqual({
      paths: {
        component: "plugins/operators/http_to_s3_operator.py",
        test: "tests/operators/test_http_to_s3_operator.py",
        dag: "dags/examples/http_to_s3_operator_example_dag.py",
      },
      componentModule: "operators.http_to_s3_operator",
    });
    expect(componentLayout({ name: "HTTPSensor", component_type: "sensor" }).paths.component).toBe("plugins/sensors/http_sensor.py");
    expect(componentLayout({ name: "RestApiHook", component_type: "hook" })).toMatchObject({
      paths: { component: "plugins/hooks/rest_api_hook.py" },
      componentModule: "hooks.rest_api_hook",
    });
  });

  it("takes configured paths with or without trailing slashes", () => {
    const layout = componentLayout(
      { name: "FileSensor", component_type: "sensor" },
      { operators: "airflow/plugins/ops/", sensors: "src/sensors", hooks: "h/", tests: "tests", dags: "./dags" },
    );
    expect(layout.paths).toEqual({ component: "src/sensors/file_sensor.py", test: "tests/test_file_sensor.py", dag: "dags/file_sensor_example_dag.py" });
    expect(layout.componentModule).toBe("file_sensor");
    expect(componentLayout({ name: "XOperator", component_type: "operator" }, {
      operators: "airflow/plugins/custom_ops/", sensors: "s/", hooks: "h/", tests: "t/", dags: "d/",
    }).componentModule).toBe("custom_ops.x_operator");
  });

  it("places relative generated files at the layout's paths", () => {
    const names = generatedFileNames({ name: "PingOperator" });
    expect(names).toEqual({ component: "ping_operator.py", test: "test_ping_operator.py", dag: "ping_operator_example_dag.py" });
    const layout = componentLayout({ name: "PingOperator", component_type: "operator" });
    expect(placeFiles([{ role: "test", path: names.test, content: "x" }], layout)).toEqual([
      { role: "test", path: "tests/operators/test_ping_operator.py", content: "x" },
    ]);
  });
});
