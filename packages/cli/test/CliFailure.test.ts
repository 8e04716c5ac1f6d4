import { describe, expect, it } from "@effect/vitest"
import { OutcomeUnknown, TokenManager, TokenStore } from "@ultracart-oauth/adapters"
import { Callback, OAuthError } from "@ultracart-oauth/core"
import { HelpDoc, ValidationError } from "@effect/cli"
import { Cause } from "effect"
import { CliFailure } from "../src/index.js"
import { SettingsError } from "../src/CliSettings.js"

const { ExitCode, fromCause, fromError } = CliFailure

describe("CliFailure", () => {
  const protocol = { endpoint: "token", status: 400 } as const

  it("reads every kind of @effect/cli ValidationError as a usage error (exit 2), and nothing else as one", () => {
    const doc = HelpDoc.p("wrong")
    const invalid = [
      ValidationError.invalidArgument(doc),
      ValidationError.invalidValue(doc),
      ValidationError.missingValue(doc),
      ValidationError.missingFlag(doc),
      ValidationError.unclusteredFlag(doc, [], []),
      ValidationError.commandMismatch(doc),
      ValidationError.correctedFlag(doc),
      ValidationError.keyValuesDetected(doc, []),
      ValidationError.missingSubcommand(doc),
      ValidationError.noBuiltInMatch(doc)
    ]
    for (const error of invalid) {
      expect([error._tag, ValidationError.isValidationError(error), fromError(error).exitCode]).toEqual([
        error._tag,
        true,
        ExitCode.UserError
      ])
      expect(fromError(error).cause).toBe("invalid command line")
    }
    expect(fromError({ _tag: "InvalidValue", error: doc }).cause).not.toBe("invalid command line")
  })

  it("tells user errors, re-authorization and transient failures apart by exit code", () => {
    const cases: ReadonlyArray<readonly [unknown, CliFailure.ExitCode]> = [
      [new SettingsError({ setting: "client id", reason: "is missing", hint: "pass --client-id" }), ExitCode.UserError],
      [new OAuthError.InvalidInput({ field: "scope", reason: "is empty" }), ExitCode.UserError],
      [new OAuthError.InvalidClient({ ...protocol, status: 401 }), ExitCode.UserError],
      [new OAuthError.InvalidScope(protocol), ExitCode.UserError],
      [new TokenManager.ReauthorizationRequired({ key: "app", reason: "NoTokens" }), ExitCode.ReauthRequired],
      [new OAuthError.InvalidGrant(protocol), ExitCode.ReauthRequired],
      [new OAuthError.Unauthorized({ endpoint: "me", status: 401 }), ExitCode.ReauthRequired],
      [new Callback.StateMismatch({ reason: "Different" }), ExitCode.ReauthRequired],
      [new Callback.AuthorizationDenied({}), ExitCode.ReauthRequired],
      [
        new OAuthError.TransportError({ endpoint: "token", reason: "Timeout", outcome: "Unknown", detail: "x" }),
        ExitCode.Transient
      ],
      [new OAuthError.RateLimited({ endpoint: "token", status: 429 }), ExitCode.Transient],
      [new OAuthError.ServerError({ endpoint: "token", status: 503 }), ExitCode.Transient],
      [
        new OutcomeUnknown.OutcomeUnknown({ grantType: "refresh_token", reason: "Timeout", detail: "x" }),
        ExitCode.Transient
      ],
      [
        new TokenStore.TokenStoreError({ operation: "save", key: "app", reason: "Locked", detail: "busy" }),
        ExitCode.Transient
      ],
      [
        new TokenStore.TokenStoreError({ operation: "load", key: "app", reason: "Corrupt", detail: "x" }),
        ExitCode.Failure
      ],
      [
        new TokenStore.TokenStoreError({ operation: "load", key: "app", reason: "Unavailable", detail: "down" }),
        ExitCode.Transient
      ],
      [
        new TokenStore.TokenStoreError({ operation: "save", key: "app", reason: "Timeout", detail: "slow" }),
        ExitCode.Transient
      ],
      [
        new OAuthError.MalformedResponse({ endpoint: "token", status: 200, reason: "NotJson", issues: [] }),
        ExitCode.Failure
      ]
    ]
    for (const [error, code] of cases) {
      const failure = fromError(error)
      expect([String((error as { _tag: string })._tag), failure.exitCode]).toEqual([
        String((error as { _tag: string })._tag),
        code
      ])
      expect(failure.cause).toBe((error as Error).message)
      expect(failure.hint).not.toBe("please report this")
    }
  })

  it("reports interruptions as 130 and defects by message only", () => {
    expect(fromCause(Cause.interrupt("fiber" as never)).exitCode).toBe(ExitCode.Interrupted)
    const defect = fromCause(Cause.die(new Error("boom")))
    expect(defect).toEqual({ exitCode: ExitCode.Failure, cause: "unexpected error: boom", hint: "please report this" })
    expect(fromCause(Cause.die({ token: "secret-in-a-defect" })).cause).not.toContain("secret-in-a-defect")
  })
})
