import type { KnowledgeBase } from "../../knowledge/kb.js";
import type { AirflowTarget, ComponentSpec } from "../../spec/types.js";
import { generatedFileNames } from "../naming.js";
import type { FileRole, GeneratedFile } from "../types.js";
import { renderComponent } from "./component.js";
import { renderDag } from "./dag.js";
import { planScaffold } from "./plan.js";
import { renderTest } from "./tests.js";

export { SCAFFOLD_HEADER } from "./component.js";

/** The three files of a scaffold (or only the requested roles), rendered from the spec alone. */
export function renderScaffold(
  spec: ComponentSpec,
  target: AirflowTarget = spec.airflow_version,
  componentModule?: string,
  roles: FileRole[] = ["component", "test", "dag"],
  /** Where the hooks and connection arguments come from: the shipped knowledge base by default, none with null. */
  knowledgeBase?: KnowledgeBase | null,
): GeneratedFile[] {
  const plan = planScaffold(spec, target, componentModule, knowledgeBase);
  const names = generatedFileNames(spec);
  const files: GeneratedFile[] = [];
  for (const role of roles) {
    if (role === "component") files.push({ role, path: names.component, content: renderComponent(plan) });
    if (role === "test") files.push({ role, path: names.test, content: renderTest(plan) });
    if (role === "dag") files.push({ role, path: names.dag, content: renderDag(plan) });
  }
  return files;
}
