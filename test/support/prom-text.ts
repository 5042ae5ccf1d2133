/**
 * A strict parser of Prometheus' text exposition format (0.0.4), for tests: it throws on anything a Prometheus
 * server would reject or that the format leaves undefined — a sample with no `# TYPE` before it, a family's
 * samples split apart, a second TYPE for a name, bad metric or label names, bad escapes, non-numeric values,
 * duplicate series, histogram buckets without `le`.
 */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

function parseValue(text: string, line: number): number {
  // Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any letter case (prom-client writes "Nan").
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`line ${line}: value "${text}" is not a number`);
  return Number(text);
}

/** Which family a sample name belongs to, given the declared types. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined && direct.type !== "histogram") return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base?.type === "histogram") return base;
    if (base?.type === "summary" && suffix !== "_bucket") return base;
  }
  return direct?.type === "histogram" ? undefined : direct;
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`line ${line}: invalid label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label "${name}" given twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value of "${name}" is not quoted`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === "\\") {
        const next = text[j + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new Error(`line ${line}: invalid escape "\\${next ?? ""}" in a label value`);
        j += 2;
        continue;
      }
      if (c === "\n") throw new Error(`line ${line}: raw newline in a label value`);
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`line ${line}: expected "," between labels`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  const typed = new Set<string>();
  let current: Family | undefined;
  text.slice(0, -1).split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (meta === null) return; // a plain comment
      const [, kind, name = "", rest = ""] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: invalid metric name "${name}"`);
      if (kind === "TYPE") {
        if (!TYPES.includes(rest as MetricType)) throw new Error(`line ${line}: unknown type "${rest}"`);
        const existing = families.get(name);
        if (existing !== undefined && existing.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (typed.has(name)) throw new Error(`line ${line}: a second TYPE for ${name}`);
        typed.add(name);
        families.set(name, { name, type: rest as MetricType, help: existing?.help, samples: [] });
      } else {
        const existing = families.get(name);
        if (existing?.help !== undefined) throw new Error(`line ${line}: a second HELP for ${name}`);
        // HELP may precede TYPE; keep it on a placeholder that TYPE replaces.
        families.set(name, { name, type: existing?.type ?? "untyped", help: rest, samples: existing?.samples ?? [] });
      }
      if (current !== undefined && current.name !== name) finished.add(current.name);
      current = families.get(name);
      return;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
    if (sample === null) throw new Error(`line ${line}: not a sample line: ${raw}`);
    const [, name = "", labelText = "", valueText = ""] = sample;
    const family = familyOf(name, families);
    if (family === undefined || !typed.has(family.name)) throw new Error(`line ${line}: sample ${name} has no # TYPE declared before it`);
    if (finished.has(family.name)) throw new Error(`line ${line}: samples of ${family.name} are not together`);
    if (current !== undefined && current.name !== family.name) finished.add(current.name);
    current = family;
    const labels = parseLabels(labelText, line);
    if (family.type === "histogram" && name.endsWith("_bucket") && labels.le === undefined) throw new Error(`line ${line}: bucket without le`);
    const key = `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(valueText, line) });
  });
  return families;
}
