/**
 * The whole OAuth lifecycle of an UltraCart app:
 *
 *   authorize URL → merchant consent → callback (state checked) → code exchange → refresh → /oauth/me → revoke
 *
 * By default it starts the fake UltraCart server on a loopback port and plays the merchant's browser against it.
 * Given ULTRACART_BASE_URL, ULTRACART_CLIENT_ID and ULTRACART_AUTH_CODE (plus optional ULTRACART_REDIRECT_URI and
 * ULTRACART_SIMPLE_KEY) it runs against that server instead, starting from the given code.
 *
 * Run: pnpm demo   (or: pnpm tsx examples/src/lifecycle.ts)
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { Credentials, OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Console, Effect, Layer, Option, type Redacted } from "effect"
import { fingerprint, fingerprintOption, loadRealServer, show, step } from "./support.js"

/** From an authorization code to a revoked grant: the part that is the same against any server. */
const fromCode = (code: Redacted.Redacted<string>, redirectUri: string, firstStep: number) =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    let n = firstStep

    yield* step(n++, "Exchange the code for tokens (POST /oauth/token, grant_type=authorization_code)")
    const tokens = yield* client.exchangeCode({ code, redirectUri })
    yield* show("access token", fingerprint(tokens.accessToken))
    yield* show("refresh token", fingerprintOption(tokens.refreshToken))
    yield* show("expires in", Option.match(tokens.expiresIn, { onNone: () => "not said", onSome: (s) => `${s}s` }))
    yield* show(
      "scope",
      Option.getOrElse(tokens.scope, () => "—")
    )

    yield* step(n++, "Refresh (grant_type=refresh_token); a rotated refresh token replaces the old one")
    const refreshToken = yield* Option.match(tokens.refreshToken, {
      onNone: () => Effect.dieMessage("the server issued no refresh token"),
      onSome: Effect.succeed
    })
    const refreshed = yield* client.refresh({ refreshToken })
    // RFC 6749 §6: no refresh_token in the answer means "keep the one you have".
    const currentRefresh = Option.getOrElse(refreshed.refreshToken, () => refreshToken)
    yield* show("access token", fingerprint(refreshed.accessToken))
    yield* show(
      "refresh token",
      `${fingerprint(currentRefresh)}${Option.isSome(refreshed.refreshToken) ? " (rotated)" : " (kept)"}`
    )

    yield* step(n++, "Who is this? (GET /oauth/me with the bearer token)")
    const me = yield* client.me({ accessToken: refreshed.accessToken })
    yield* show(
      "merchant",
      Option.getOrElse(me.merchantId, () => "not said")
    )
    yield* show("permissions", me.permissions.join(", ") || "none listed")

    yield* step(n++, "Revoke when the merchant disconnects the app (POST /oauth/revoke), refresh token first")
    const revocation = yield* client.revoke({ token: currentRefresh })
    yield* show("revoked", String(revocation.successful))

    yield* step(n++, "The revoked grant is dead: refreshing now fails with a typed error")
    const outcome = yield* client.refresh({ refreshToken: currentRefresh }).pipe(
      Effect.as("refresh still works (the server did not revoke)"),
      Effect.catchTag("InvalidGrant", (e) => Effect.succeed(`${e._tag}: ${e.message}`))
    )
    yield* show("refresh", outcome)
  })

/** Against the embedded fake: the browser leg too. */
const embedded = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? "http://127.0.0.1:8976/callback"
  yield* Console.log(`Fake UltraCart on ${client.baseUrl} (client ${client.clientId})`)

  yield* step(1, "Build the authorize URL with a fresh state (256 bits from the CSPRNG)")
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  const shown = new URL(url)
  yield* show("authorize URL", `${shown.origin}${shown.pathname}?response_type=code&client_id=…&redirect_uri=…&state=…`)
  yield* show("state", fingerprint(state))

  yield* step(2, "The merchant approves in the browser; UltraCart redirects back with code and state")
  // Plays the browser: follow the authorize URL, read the 302's Location (the redirect is not followed).
  const response = yield* Effect.promise(() => fetch(url, { redirect: "manual" }))
  const callback = response.headers.get("location") ?? ""
  yield* show("redirect", `HTTP ${response.status} to ${callback.split("?")[0]}?code=…&state=…`)

  yield* step(3, "Read the callback: state compared in constant time, then the code")
  const code = yield* client.parseCallback(callback, state)
  yield* show("code", fingerprint(code))

  yield* fromCode(code, redirectUri, 4)
})

/** Against a real server: from the code it was given. */
const real = (server: {
  readonly authCode: Redacted.Redacted<string>
  readonly redirectUri: string
  readonly baseUrl: string
}) =>
  Effect.gen(function* () {
    yield* Console.log(`UltraCart at ${server.baseUrl}; starting from the authorization code given`)
    yield* fromCode(server.authCode, server.redirectUri, 1)
  })

const program = Effect.gen(function* () {
  const server = yield* loadRealServer
  const transport = NodeTransport.layer()
  if (Option.isSome(server)) {
    const s = server.value
    const clientLayer = OAuthClient.layer({
      clientId: s.clientId,
      baseUrl: s.baseUrl,
      credentials: Option.getOrUndefined(Option.map(s.simpleKey, Credentials.simpleKey))
    })
    return yield* real(s).pipe(Effect.provide(clientLayer.pipe(Layer.provide(transport))))
  }
  const fakeServer = FakeUltraCartServer.layer()
  const clientLayer = FakeUltraCart.clientLayer().pipe(Layer.provide(Layer.merge(fakeServer, transport)))
  return yield* embedded.pipe(Effect.provide(clientLayer))
})

program.pipe(
  Effect.tap(() => Console.log("Done: every token above is shown only as a fingerprint.")),
  NodeRuntime.runMain
)
