import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets, redact, redactDeep, registerSecret, registerSecretsFromEnv } from "../../src/config/redact.js";

afterEach(() => clearSecrets());

describe("redact (issue 10, item 1)", () => {
  it("replaces every configured secret: model keys, webhook secret, private key lines, tokens", () => {
    registerSecretsFromEnv({
      ANTHROPIC_API_KEY: "plain-model-key-without-shape",
      WEBHOOK_SECRET: "hook-secret-value",
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7yz0123456789abcdefghij\n-----END RSA PRIVATE KEY-----",
      PATH: "/usr/bin",
      OPFORGE_DB: "data/opforge.db",
    });
    const text = "key plain-model-key-without-shape, secret hook-secret-value, line MIIEowIBAAKCAQEAx7yz0123456789abcdefghij, path /usr/bin";
    expect(redact(text)).toBe("key [redacted], secret [redacted], line [redacted], path /usr/bin");
  });

  it("replaces credential-shaped text nobody configured", () => {
    expect(redact("invalid api key: Bearer sk-ant-api03-abcDEF123")).toBe("invalid api key: Bearer [redacted]");
    expect(redact("token ghs_16C7e42F292c6912E7710c838347Ae178B4a used")).toBe("token [redacted] used");
    expect(redact("pat github_pat_11ABCDEFG0123456789_abcdef")).toBe("pat [redacted]");
    expect(redact('{"api_key": "abc123def456"}')).toBe('{"api_key": "[redacted]"}');
    expect(redact("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----")).toBe("[redacted]");
  });

  it("leaves ordinary prose alone", () => {
    const prose = "the token budget is used up; Basic authentication with a password field; sk-learn is a library";
    expect(redact(prose)).toBe(prose);
  });

  it("redacts inside log objects and errors", () => {
    registerSecret("s3cr3t-value-xyz");
    const err = new Error("boom s3cr3t-value-xyz");
    const out = redactDeep({ err, nested: { msg: ["s3cr3t-value-xyz"] } });
    expect(out.err.message).toBe("boom [redacted]");
    expect(out.nested.msg[0]).toBe("[redacted]");
  });
});
