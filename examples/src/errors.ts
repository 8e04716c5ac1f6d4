/**
 * Every failure is a typed error you can branch on. This example provokes each one against the in-memory fake
 * UltraCart (with scripted faults) and shows how a program tells them apart with `Effect.catchTags`.
 *
 * Run: pnpm tsx examples/src/errors.ts
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { OAuthClient, type OAuthError } from "@ultracart-oauth/core"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { Console, Effect, Layer, Redacted } from "effect"

/** What a program would do about each failure: the point of having one tag per meaning. */
const advice = (error: OAuthError.OAuthClientError): string => {
  switch (error._tag) {
    case "InvalidGrant":
      return "the code or refresh token is dead: send the merchant through authorization again"
    case "RateLimited":
      return `slow down${error.retryAfterMillis === undefined ? "" : `; the server asks for ${error.retryAfterMillis / 1000}s`}`
    case "ServerError":
      return "UltraCart is having trouble: retry later (reads), or re-check state (single-use grants)"
    case "TransportError":
      return error.outcome === "NotSent"
        ? "the request never left: safe to retry"
        : "the server may have acted: do not replay a single-use grant"
    case "MalformedResponse":
      return "the answer could not be trusted: report it, do not guess"
    case "InvalidInput":
      return "fix the caller: nothing was sent"
    case "Unauthorized":
      return "refresh the access token once, then retry once"
    case "AppDisabled":
      return "UltraCart disabled the app: stop calling"
    default:
      return "see the error's fields"
  }
}

const attempt = <A>(title: string, effect: Effect.Effect<A, OAuthError.OAuthClientError>) =>
  effect.pipe(
    Effect.matchEffect({
      onSuccess: () => Console.log(`• ${title}\n    succeeded`),
      onFailure: (error) => Console.log(`• ${title}\n    ${error._tag}: ${error.message}\n    → ${advice(error)}`)
    })
  )

const program = Effect.gen(function* () {
  const fake = yield* FakeUltraCart.FakeUltraCart
  const client = yield* OAuthClient.OAuthClient
  const clientId = client.clientId
  const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""
  const fresh = () => fake.issueTokens({ clientId })

  // A code used twice: single-use (RFC 6749 §4.1.2); the second use also revokes what the first produced.
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  const code = yield* fake.approve(url).pipe(Effect.flatMap((redirect) => client.parseCallback(redirect, state)))
  yield* attempt("exchange a code", client.exchangeCode({ code, redirectUri }))
  yield* attempt("exchange the same code again", client.exchangeCode({ code, redirectUri }))

  const tokens = yield* fresh()
  yield* fake.injectFault(Fault.rateLimited({ retryAfter: "30 seconds" }), { times: 1 })
  yield* attempt(
    "refresh while rate limited (429, Retry-After: 30)",
    client.refresh({ refreshToken: tokens.refreshToken })
  )

  yield* fake.injectFault(Fault.serverError({ status: 503, retryAfter: "5 seconds", retryAfterFormat: "http-date" }), {
    times: 1
  })
  yield* attempt(
    "revoke during an outage (503, Retry-After as HTTP-date)",
    client.revoke({ token: tokens.accessToken })
  )

  yield* fake.injectFault(Fault.dropBeforeProcessing, { times: 1 })
  yield* attempt("/oauth/me when the connection drops", client.me({ accessToken: tokens.accessToken }))

  yield* fake.injectFault(Fault.malformedJson, { times: 1 })
  yield* attempt("refresh answered with malformed JSON", client.refresh({ refreshToken: tokens.refreshToken }))

  yield* fake.injectFault(Fault.oauthErrorWithOk("invalid_grant", "sent with HTTP 200"), { times: 1 })
  yield* attempt("an OAuth error served with HTTP 200", client.refresh({ refreshToken: tokens.refreshToken }))

  yield* attempt("an empty refresh token (checked before sending)", client.refresh({ refreshToken: Redacted.make("") }))

  yield* attempt("/oauth/me with a made-up token", client.me({ accessToken: Redacted.make("not-a-token") }))

  // The browser leg has its own errors: a callback whose state is not ours, and a merchant who says no.
  const forged = `${redirectUri}?code=stolen&state=not-the-one-we-sent`
  yield* client.parseCallback(forged, state).pipe(
    Effect.catchTags({
      StateMismatch: (e) => Console.log(`• a forged callback\n    ${e._tag}: ${e.message}`),
      AuthorizationDenied: (e) => Console.log(`    ${e._tag}`)
    }),
    Effect.ignore
  )
  const denied = yield* fake.deny(url, "The merchant clicked Deny")
  yield* client.parseCallback(denied, state).pipe(
    Effect.catchTag("AuthorizationDenied", (e) => Console.log(`• the merchant declines\n    ${e._tag}: ${e.message}`)),
    Effect.ignore
  )
})

program.pipe(
  Effect.provide(FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer()))),
  NodeRuntime.runMain
)
