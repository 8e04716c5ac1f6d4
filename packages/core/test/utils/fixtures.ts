/**
 * Shared test values and helpers: the secrets every test uses (so that every error any test produces can be
 * checked for them), a client Layer over the mock transport, and `fail`, which returns a call's error after
 * checking that it leaks no secret.
 */
import { expect } from "@effect/vitest"
import { Cause, Effect, Layer, Redacted } from "effect"
import { inspect } from "node:util"
import { Credentials, OAuthClient } from "../../src/index.js"
import * as MockHttp from "./MockHttp.js"

export const CLIENT_ID = "app-client-7"
export const REDIRECT_URI = "https://app.example/oauth/callback"

/** Distinctive plain values, so that a leak is unmistakable. */
export const secretValues = {
  code: "code-9f3b1c7e",
  accessToken: "at-5d2e8a41",
  refreshToken: "rt-0c6f9b27",
  deviceCode: "dc-7a4e2d95",
  simpleKey: "sk-3e81f0aa",
  browserKey: "bk-64c2d7b3",
  state: "st-b8e05f1c-0123456789abcdef",
  codeVerifier: "cv-2f7d9e46-0123456789abcdef0123456789abcd",
  /** A token with characters that form-encoding changes, to catch an echo of the encoded body. */
  awkwardToken: "rt+/=&x~y z-5e0c"
} as const

export const secrets = {
  code: Redacted.make(secretValues.code),
  accessToken: Redacted.make(secretValues.accessToken),
  refreshToken: Redacted.make(secretValues.refreshToken),
  deviceCode: Redacted.make(secretValues.deviceCode),
  simpleKey: Redacted.make(secretValues.simpleKey),
  browserKey: Redacted.make(secretValues.browserKey),
  state: Redacted.make(secretValues.state),
  codeVerifier: Redacted.make(secretValues.codeVerifier),
  awkwardToken: Redacted.make(secretValues.awkwardToken)
}

/** Every way a value could be printed: `String`, `.message`, JSON, `util.inspect`, and a pretty cause (as loggers do). */
export const renderings = (error: unknown): ReadonlyArray<string> => [
  String(error),
  error instanceof Error ? error.message : "",
  JSON.stringify(error),
  inspect(error, { depth: 10 }),
  Cause.pretty(Cause.fail(error))
]

/** Each secret as sent, percent-encoded and form-encoded. */
const secretForms: ReadonlyArray<readonly [name: string, form: string]> = Object.entries(secretValues).flatMap(
  ([name, value]) =>
    [...new Set([value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)])].map(
      (form) => [name, form] as const
    )
)

/** Asserts that no secret of these tests (in any encoding) appears in any of the texts. */
export const expectNoSecretsIn = (texts: ReadonlyArray<string>): void => {
  for (const text of texts) {
    for (const [name, form] of secretForms) expect(text.includes(form), `${name} leaked into: ${text}`).toBe(false)
  }
}

/** Asserts that no secret of these tests appears in any rendering of the value. */
export const expectNoSecrets = (error: unknown): void => expectNoSecretsIn(renderings(error))

/** Asserts that an absent optional member is absent, not present as `undefined` (exactOptionalPropertyTypes). */
export const expectNoUndefinedMembers = (value: unknown): void => {
  if (typeof value !== "object" || value === null) return
  const undefinedKeys = Object.entries(value)
    .filter(([, member]) => member === undefined)
    .map(([key]) => key)
  expect(undefinedKeys).toEqual([])
}

/** Runs an effect that must fail, checks that the error leaks no secret and has no `undefined` members, returns it. */
export const fail = <E, R>(effect: Effect.Effect<unknown, E, R>): Effect.Effect<E, never, R> =>
  Effect.flip(effect).pipe(
    Effect.orDieWith(() => new Error("expected the effect to fail, it succeeded")),
    Effect.tap((error) => {
      expectNoSecrets(error)
      expectNoUndefinedMembers(error)
    })
  )

/** Asserts an error's tag, narrowing its type. */
export function assertTag<E extends { readonly _tag: string }, T extends E["_tag"]>(
  error: E,
  tag: T
): asserts error is Extract<E, { readonly _tag: T }> {
  expect(error._tag).toBe(tag)
}

/** Options with the test client id. */
export const options = (overrides: Partial<OAuthClient.OAuthClientOptions> = {}): OAuthClient.OAuthClientOptions => ({
  clientId: CLIENT_ID,
  ...overrides
})

/** The client over the mock transport (which stays available for reading what was sent). */
export const clientLayer = (
  overrides: Partial<OAuthClient.OAuthClientOptions>,
  ...replies: ReadonlyArray<MockHttp.Reply>
) => OAuthClient.layer(options(overrides)).pipe(Layer.provideMerge(MockHttp.layer(...replies)))

/** The client's service from the context. */
export const client = OAuthClient.OAuthClient

export const simpleKey = Credentials.simpleKey(secrets.simpleKey)
export const browserKey = Credentials.browserKey(secrets.browserKey)

/** A token body as UltraCart documents it. */
export const tokenBody = {
  access_token: secretValues.accessToken,
  refresh_token: secretValues.refreshToken,
  expires_in: "3600",
  token_type: "bearer",
  scope: "order_read item_write"
}

/** Every tag `Callback.parse` may fail with: property tests check that nothing else comes out. */
export const callbackErrorTags: ReadonlySet<string> = new Set([
  "AuthorizationDenied",
  "AuthorizationExpired",
  "AuthorizationFailed",
  "CallbackMissingCode",
  "StateMismatch"
])
