/**
 * How a failed run ends: a one-line cause, a hint saying what to do, and an exit code that tells a script
 * whether the input was wrong, the merchant must authorize again, or trying again later may work.
 *
 * Causes are the errors' own messages: every error of this library is built to carry no secret.
 *
 * @since 0.1.0
 */
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as FakeServer from "./FakeServer.js"
import * as NewGrant from "./NewGrant.js"

/**
 * The exit codes.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Anything not classified below: an unexpected answer, an unreadable store, a bug. */
  Failure: 1,
  /** Wrong usage or configuration: unknown flag, missing client id, a client id UltraCart does not know… */
  UserError: 2,
  /** The merchant must authorize again: no tokens, a refused refresh token, a declined or expired login. */
  ReauthRequired: 3,
  /** Transient: network, timeout, 429, 5xx, a busy store. Trying again later may work. */
  Transient: 4,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * What to print and how to exit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly exitCode: ExitCode
  readonly cause: string
  readonly hint: string
}

const LOGIN_AGAIN = "run `ultracart-oauth login` (or `device-login`) to authorize the app again"

type Rule = readonly [ExitCode, string | ((error: Tagged) => string)]

interface Tagged {
  readonly _tag: string
  readonly message: string
  readonly [key: string]: unknown
}

const rules: Record<string, Rule> = {
  SettingsError: [ExitCode.UserError, (e) => String(e["hint"])],
  InvalidInput: [ExitCode.UserError, (e) => `check the value given for ${String(e["field"])}`],
  CallbackListenerError: [ExitCode.UserError, (e) => String(e["hint"])],
  MissingScope: [
    ExitCode.UserError,
    'pass --scope with an application scope such as crm or ultraship (or set ULTRACART_DEVICE_SCOPE, or "scope" in the config file)'
  ],
  InvalidClient: [ExitCode.UserError, "check the client id (and API key) against the app registered with UltraCart"],
  UnauthorizedClient: [ExitCode.UserError, "this app may not use this grant: check its settings with UltraCart"],
  UnsupportedGrantType: [ExitCode.UserError, "this server does not take this grant: check --base-url"],
  InvalidScope: [ExitCode.UserError, "pass an application scope UltraCart knows, such as --scope crm"],
  InvalidRequest: [ExitCode.UserError, "UltraCart refused the request: check the client id and the redirect URI"],
  AppDisabled: [ExitCode.UserError, "UltraCart has disabled this app: enable it again in UltraCart"],
  ReauthorizationRequired: [ExitCode.ReauthRequired, LOGIN_AGAIN],
  InvalidGrant: [ExitCode.ReauthRequired, LOGIN_AGAIN],
  Unauthorized: [ExitCode.ReauthRequired, LOGIN_AGAIN],
  AccessDenied: [ExitCode.ReauthRequired, "the merchant declined; run the login again to ask once more"],
  AuthorizationDenied: [ExitCode.ReauthRequired, "the merchant declined; run `ultracart-oauth login` to ask again"],
  DeviceAuthorizationDenied: [
    ExitCode.ReauthRequired,
    "the merchant declined; run `ultracart-oauth device-login` again"
  ],
  AuthorizationExpired: [ExitCode.ReauthRequired, "the authorize URL expired; run `ultracart-oauth login` again"],
  DeviceAuthorizationExpired: [ExitCode.ReauthRequired, "the code expired; run `ultracart-oauth device-login` again"],
  ExpiredToken: [ExitCode.ReauthRequired, "the code expired; run `ultracart-oauth device-login` again"],
  AuthorizationFailed: [ExitCode.ReauthRequired, "run `ultracart-oauth login` again"],
  CallbackMissingCode: [ExitCode.ReauthRequired, "run `ultracart-oauth login` again and open its URL once"],
  StateMismatch: [
    ExitCode.ReauthRequired,
    "the redirect does not belong to this login (possible CSRF): start a new `ultracart-oauth login` and use its URL once"
  ],
  LoginTimedOut: [ExitCode.ReauthRequired, "run `ultracart-oauth login` again and finish in the browser (try --open)"],
  TransportError: [ExitCode.Transient, "check the network and --base-url, then try again"],
  RateLimited: [ExitCode.Transient, "UltraCart is rate limiting this app: wait a little and try again"],
  ServerError: [ExitCode.Transient, "UltraCart failed; try again in a moment"],
  OutcomeUnknown: [
    ExitCode.Transient,
    "try again; after a login, start a new one (the code may be spent), after a refresh the store is re-read"
  ],
  MalformedResponse: [ExitCode.Failure, "check that --base-url points at UltraCart's REST v2 API"],
  UltraCartError: [ExitCode.Failure, "see UltraCart's message above; check the app's settings"],
  UnexpectedRedirect: [ExitCode.Failure, "check that --base-url points at UltraCart's REST v2 API (https)"],
  NoTerminal: [
    ExitCode.UserError,
    "run it in a terminal, or pass the flags yourself (`ultracart-oauth <command> --help` lists them)"
  ],
  SystemError: [ExitCode.Failure, "check the token directory's path and permissions"],
  BadArgument: [ExitCode.Failure, "check the token directory's path"]
}

const storeHints: Record<TokenStore.TokenStoreError["reason"], Rule> = {
  Locked: [ExitCode.Transient, "another process is using the token store; try again"],
  Unavailable: [ExitCode.Transient, "the token store is unreachable; try again when it is back"],
  Timeout: [ExitCode.Transient, "the token store did not answer in time; try again"],
  Io: [ExitCode.Failure, "check the token directory's permissions (--token-dir)"],
  Corrupt: [
    ExitCode.Failure,
    "the stored tokens are unreadable: remove them with `ultracart-oauth logout`, then log in"
  ],
  Decrypt: [
    ExitCode.Failure,
    "the stored tokens do not decrypt: check ULTRACART_TOKEN_ENCRYPTION_KEY (or log out and in again)"
  ]
}

const fakeServerHints: Record<FakeServer.FakeServerError["reason"], Rule> = {
  NotInstalled: [
    ExitCode.UserError,
    "install it next to the CLI (npm install --save-dev @ultracart-oauth/testing), or use the ultracart-oauth executable, which includes the fake"
  ],
  PortInUse: [
    ExitCode.UserError,
    "stop what uses the port, or pass --port with another one (--port 0 picks a free one)"
  ],
  Failed: [ExitCode.Failure, "see the cause above; --port 0 picks a free port"]
}

const isTagged = (u: unknown): u is Tagged =>
  Predicate.hasProperty(u, "_tag") &&
  typeof u._tag === "string" &&
  Predicate.hasProperty(u, "message") &&
  typeof u.message === "string"

/**
 * The mark @effect/cli puts on its `ValidationError` (what its `isValidationError` checks), read here rather than
 * through `@effect/cli/ValidationError`, whose module loads the whole command parser: `status` runs without it.
 */
const ValidationErrorTypeId = Symbol.for("@effect/cli/ValidationError")

const isValidationError = (u: unknown): boolean => Predicate.hasProperty(u, ValidationErrorTypeId)

/**
 * The failure to report for an error a command failed with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromError = (error: unknown): Failure => {
  // @effect/cli has printed what was wrong with the command line already.
  if (isValidationError(error)) {
    return {
      exitCode: ExitCode.UserError,
      cause: "invalid command line",
      hint: "see `ultracart-oauth --help` or `ultracart-oauth <command> --help`"
    }
  }
  if (!isTagged(error)) {
    return { exitCode: ExitCode.Failure, cause: "unexpected error", hint: "please report this" }
  }
  if (error instanceof NewGrant.GrantNotStored) {
    // The store's own hint and exit code: the grant is gone either way, so logging in again follows.
    const stored = fromError(error.cause)
    return { exitCode: stored.exitCode, cause: error.message, hint: `${stored.hint}; then log in again` }
  }
  const rule =
    error instanceof TokenStore.TokenStoreError
      ? storeHints[error.reason]
      : error instanceof FakeServer.FakeServerError
        ? fakeServerHints[error.reason]
        : rules[error._tag]
  if (rule === undefined) return { exitCode: ExitCode.Failure, cause: error.message, hint: "please report this" }
  const [exitCode, hint] = rule
  return { exitCode, cause: error.message, hint: typeof hint === "string" ? hint : hint(error) }
}

/**
 * The failure to report for a cause: its first failure, an interruption, or a defect (reported by its message
 * only, with no stack).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCause = <E>(cause: Cause.Cause<E>): Failure =>
  Option.match(Cause.failureOption(cause), {
    onSome: fromError,
    onNone: () =>
      Cause.isInterruptedOnly(cause)
        ? { exitCode: ExitCode.Interrupted, cause: "interrupted", hint: "nothing was changed after the interruption" }
        : {
            exitCode: ExitCode.Failure,
            cause: Option.match(Cause.dieOption(cause), {
              onNone: () => "unexpected failure",
              onSome: (defect) => `unexpected error: ${defect instanceof Error ? defect.message : "unknown defect"}`
            }),
            hint: "please report this"
          }
  })
