import type { Database } from "better-sqlite3";
import { fingerprintOf } from "../../../src/learn/patterns/index.js";
import type { PatternCandidate, PatternComponentType, PatternKind } from "../../../src/learn/patterns/index.js";
import { openDatabase } from "../../../src/store/index.js";

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

export function memoryDb(): Database {
  return openDatabase(":memory:");
}

/** A candidate as extraction would make it, with the text and shape given. */
export function candidate(
  code: string,
  text: string,
  options: { kind?: PatternKind; componentType?: PatternComponentType; category?: string; libraries?: string[]; description?: string } = {},
): PatternCandidate {
  const kind = options.kind ?? "execute_shape";
  return {
    kind,
    code,
    fingerprint: fingerprintOf(kind, code),
    libraries: options.libraries ?? [],
    description: options.description ?? `${kind} ${text}`,
    text,
    role: "component",
    componentType: options.componentType ?? "operator",
    category: options.category ?? "http",
  };
}
