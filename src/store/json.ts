/**
 * JSON columns: written with a check that the value survives serialization, read back with an error that
 * names the table, column and row, so a hand-edited or truncated row is found quickly.
 */

export function toJsonColumn(value: unknown, where: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${where} cannot be stored as JSON: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) {
    throw new Error(`${where} cannot be stored as JSON: ${typeof value} has no JSON form`);
  }
  return text;
}

export function toNullableJsonColumn(value: unknown, where: string): string | null {
  return value === undefined || value === null ? null : toJsonColumn(value, where);
}

export function parseJsonColumn(text: string, table: string, column: string, rowId: number | string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${table}.${column} of row ${rowId} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function parseNullableJsonColumn(
  text: string | null,
  table: string,
  column: string,
  rowId: number | string,
): unknown {
  return text === null ? null : parseJsonColumn(text, table, column, rowId);
}

export function parseJsonArrayColumn(text: string, table: string, column: string, rowId: number | string): unknown[] {
  const value = parseJsonColumn(text, table, column, rowId);
  if (!Array.isArray(value)) {
    throw new Error(`${table}.${column} of row ${rowId} should hold a JSON array, found ${describe(value)}`);
  }
  return value as unknown[];
}

export function parseJsonObjectColumn(
  text: string,
  table: string,
  column: string,
  rowId: number | string,
): Record<string, unknown> {
  const value = parseJsonColumn(text, table, column, rowId);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${table}.${column} of row ${rowId} should hold a JSON object, found ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function toFlag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

export function fromFlag(value: number | null): boolean | null {
  return value === null ? null : value !== 0;
}
