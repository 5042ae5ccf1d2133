import { redact } from "../../config/redact.js";
import type { TokenUsage } from "../types.js";

/** A model call that failed: the message says what the API answered (status and its error message). */
export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Whether another attempt could succeed (rate limits, overload, timeouts), as opposed to a bad key or request. */
    readonly retryable: boolean,
    /** Tokens the failed call reported as used (and so billed), when its answer said. */
    readonly usage?: TokenUsage,
  ) {
    // An API that echoes the key back (a 401 quoting the Authorization header) must not carry it further.
    super(redact(message));
  }
}

/** A provider that cannot be built from the configuration (unknown name, missing key or URL). */
export class ProviderConfigError extends Error {
  override name = "ProviderConfigError";
}

export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}
