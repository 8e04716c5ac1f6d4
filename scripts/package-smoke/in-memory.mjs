// Run in the fresh project (Node): every public entry point of the packed libraries (and the CLI's index) loads
// from its dist/, the non-public ones are refused by the exports map, and a code exchange works against the
// in-memory fake.
import * as Adapters from "@ultracart-oauth/adapters"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as Core from "@ultracart-oauth/core"
import { OAuthClient, OAuthError } from "@ultracart-oauth/core"
import * as Sql from "@ultracart-oauth/sql"
import * as Testing from "@ultracart-oauth/testing"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Effect, Layer, Option, Redacted } from "effect"
import { readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

const fail = (message) => {
  console.error(`in-memory smoke: ${message}`)
  process.exit(1)
}
const require = createRequire(import.meta.url)
const distOf = (name) => dirname(require.resolve(`${name}/package.json`))

// Each module file in dist/ is importable by its subpath, and resolves to dist/, not src/.
let subpaths = 0
for (const name of [
  "@ultracart-oauth/core",
  "@ultracart-oauth/adapters",
  "@ultracart-oauth/testing",
  "@ultracart-oauth/redis",
  "@ultracart-oauth/web",
  "@ultracart-oauth/sql"
]) {
  const modules = readdirSync(join(distOf(name), "dist")).filter((f) => f.endsWith(".js") && f !== "index.js")
  for (const file of modules) {
    const specifier = `${name}/${file.slice(0, -3)}`
    const resolved = import.meta.resolve(specifier)
    if (!resolved.includes("/dist/")) fail(`${specifier} resolved to ${resolved}, not to dist/`)
    await import(specifier)
    subpaths++
  }
  try {
    await import(`${name}/internal/random`)
    fail(`${name}/internal/random is importable: internal modules must not be exported`)
  } catch (error) {
    if (error?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") fail(`${name}/internal/random: ${error}`)
  }
}

// The CLI's modules run the program when imported (main, bin); its index only defines the commands.
const Cli = await import("@ultracart-oauth/cli")

const expectFunction = (value, what) => {
  if (typeof value !== "function") fail(`${what} is ${typeof value}, expected a function`)
}
expectFunction(Core.OAuthClient.layer, "core OAuthClient.layer")
expectFunction(Adapters.FetchTransport.layer, "adapters FetchTransport.layer")
expectFunction(Adapters.TokenManager.layer, "adapters TokenManager.layer")
expectFunction(NodeTransport.layer, "adapters/NodeTransport layer")
expectFunction(Testing.FakeUltraCart.layer, "testing FakeUltraCart.layer")
expectFunction(FakeUltraCartServer.layer, "testing/FakeUltraCartServer layer")
expectFunction(Sql.SqlTokenStore.layer, "sql SqlTokenStore.layer")
if (Object.keys(Cli).length === 0) fail("the CLI's index exports nothing")

const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[1]
const program = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const fake = yield* FakeUltraCart.FakeUltraCart
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  const callback = yield* fake.approve(url, { merchantId: "SMOKE1" })
  const code = yield* client.parseCallback(callback, state)
  const tokens = yield* client.exchangeCode({ code, redirectUri })
  const me = yield* client.me({ accessToken: tokens.accessToken })
  // The same code twice is a typed error, not a defect: the error classes came from the packed core.
  const reuse = yield* Effect.flip(client.exchangeCode({ code, redirectUri }))
  return { tokens, me, reuse }
})
const { me, reuse, tokens } = await Effect.runPromise(
  program.pipe(Effect.provide(FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer()))))
)
if (!Redacted.isRedacted(tokens.accessToken)) fail("the access token is not Redacted")
if (!Option.contains(me.merchantId, "SMOKE1")) fail(`/oauth/me answered ${String(me.merchantId)}`)
if (!(reuse instanceof OAuthError.InvalidGrant)) fail(`a reused code failed with ${reuse?._tag}, expected InvalidGrant`)
console.log(`in-memory smoke: ${subpaths} subpaths loaded from dist/, internals refused, code exchanged`)
