/** A location inside a spec document: keys of mappings and indexes of lists. */
export type PathSegment = string | number;
export type SpecPath = readonly PathSegment[];

/** `["inputs", 2, "name"]` → `inputs[2].name`. */
export function formatPath(path: SpecPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}
