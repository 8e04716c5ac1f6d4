// Run in the fresh project by every runtime present (Node, Bun, Deno): the whole lifecycle through the Fetch
// transport against the loopback fake at the base URL given as the only argument. Nothing from Node is imported,
// so what runs is what a Bun or Deno user would run.
import { FetchTransport } from "@ultracart-oauth/adapters"
import { OAuthClient, OAuthError } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Effect, Exit, Option } from "effect"

const baseUrl = (globalThis.Deno?.args ?? globalThis.process?.argv.slice(2) ?? [])[0]
const runtime =
  globalThis.Deno !== undefined
    ? `deno ${globalThis.Deno.version.deno}`
    : globalThis.Bun !== undefined
      ? `bun ${globalThis.Bun.version}`
      : `node ${globalThis.process.version}`
const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0]

const program = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  // The merchant's browser: the fake approves and redirects; the redirect is read, not followed.
  const response = yield* Effect.promise(() => fetch(url, { redirect: "manual" }))
  const code = yield* client.parseCallback(response.headers.get("location") ?? "", state)
  const tokens = yield* client.exchangeCode({ code, redirectUri })
  const refreshToken = Option.getOrThrow(tokens.refreshToken)
  const refreshed = yield* client.refresh({ refreshToken })
  const me = yield* client.me({ accessToken: refreshed.accessToken })
  const revoked = yield* client.revoke({ token: Option.getOrElse(refreshed.refreshToken, () => refreshToken) })
  const after = yield* Effect.exit(
    client.refresh({ refreshToken: Option.getOrElse(refreshed.refreshToken, () => refreshToken) })
  )
  return { me, revoked, after }
})

const check = (ok, message) => {
  if (!ok) throw new Error(message)
}
try {
  if (baseUrl === undefined) throw new Error("usage: fetch.mjs <baseUrl>")
  const { after, me, revoked } = await Effect.runPromise(
    program.pipe(
      Effect.provide(OAuthClient.layer({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId, baseUrl })),
      Effect.provide(FetchTransport.layer())
    )
  )
  check(Option.isSome(me.merchantId), "/oauth/me named no merchant")
  check(revoked.successful === true, "the revocation was not successful")
  check(
    Exit.isFailure(after) && after.cause._tag === "Fail" && after.cause.error instanceof OAuthError.InvalidGrant,
    "refreshing a revoked grant did not fail with InvalidGrant"
  )
  console.log(`fetch smoke on ${runtime}: authorize, exchange, refresh, me, revoke over fetch`)
} catch (error) {
  console.error(`fetch smoke on ${runtime} failed: ${error}`)
  globalThis.Deno?.exit(1)
  globalThis.process.exit(1)
}
