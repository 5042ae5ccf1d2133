/**
 * `--installation ID` of the commands that read or write learned data. Without it they work on the
 * command line's own records (installation 0, see LOCAL_INSTALLATION_ID), never on an app installation's:
 * an operator looking at a shared database names the installation.
 */
import { LOCAL_INSTALLATION_ID } from "../learn/scope.js";
import type { LearningScope } from "../learn/scope.js";

export const INSTALLATION_OPTION_HELP = `  --installation <id>  the GitHub App installation whose learned data to use (default: 0, the command line's own)`;

/** The installation id, or a usage message. */
export function parseInstallation(value: string | undefined): number | string {
  if (value === undefined) return LOCAL_INSTALLATION_ID;
  if (!/^\d{1,15}$/.test(value)) return `--installation must be an installation id (a whole number), got ${JSON.stringify(value)}`;
  return Number(value);
}

export function cliScope(installationId: number): LearningScope {
  return { installationId, repository: null };
}
