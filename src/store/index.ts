export { openDatabase } from "./database.js";
export type { Database, OpenDatabaseOptions } from "./database.js";
export { SchemaVersionError, schemaVersion } from "./migrate.js";
export * from "./generations.js";
export * from "./deliveries.js";
export * from "./ci-results.js";
export * from "./spend.js";
