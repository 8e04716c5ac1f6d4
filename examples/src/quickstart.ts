/**
 * Quick start: connect one UltraCart merchant to your app and ask UltraCart who they are.
 *
 *   npx tsx quickstart.ts
 *     against a fake UltraCart started right here on 127.0.0.1 (nothing leaves the machine); it plays the
 *     merchant's browser too.
 *
 *   ULTRACART_CLIENT_ID=… ULTRACART_SIMPLE_KEY=… ULTRACART_REDIRECT_URI=http://127.0.0.1:8976/callback npx tsx quickstart.ts
 *     against UltraCart: open the printed URL, sign in, approve; UltraCart redirects to the redirect URI (which
 *     must be registered with your app), where this program is listening.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Config, Console, Deferred, Effect, Layer, Option } from "effect"
import * as Http from "node:http"

/**
 * Listens on the redirect URI's loopback host and port (port 0: any free one). Yields the URI it listens on, and
 * the callback: the first request to its path (the browser's favicon request is not it), answered with a page.
 */
const listenForCallback = (redirectUri: string) =>
  Effect.gen(function* () {
    const uri = new URL(redirectUri)
    const callback = yield* Deferred.make<string>()
    const server = Http.createServer((request, response) => {
      const url = new URL(request.url ?? "/", uri)
      if (url.pathname !== uri.pathname) return void response.writeHead(404).end()
      response.writeHead(200, { "content-type": "text/plain" }).end("Connected: you can close this tab.")
      Deferred.unsafeDone(callback, Effect.succeed(url.href))
    })
    yield* Effect.acquireRelease(
      Effect.async<void, Error>((resume) => {
        server.once("error", (error) => resume(Effect.fail(error)))
        server.listen(Number(uri.port || 80), uri.hostname.replace(/^\[|\]$/g, ""), () => resume(Effect.void))
      }),
      () => Effect.sync(() => server.close())
    )
    const address = server.address()
    if (address !== null && typeof address === "object") uri.port = String(address.port)
    return { uri: uri.href, callback: Deferred.await(callback) }
  })

/** Ends the program with a message and exit code 1. */
const stop = (message: string) =>
  Effect.zipRight(
    Console.error(message),
    Effect.sync(() => {
      process.exitCode = 1
    })
  )

/** The browser leg and the code exchange: what your app does for every merchant that connects. */
const connect = (redirectUri: string, openInBrowser: (url: string) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    const listening = yield* listenForCallback(redirectUri)
    // 1. Send the merchant to UltraCart's authorize page; keep `state` with their session.
    const { state, url } = yield* client.authorizationUrl({ redirectUri: listening.uri })
    yield* openInBrowser(url)
    // 2. UltraCart redirects back with `code` and `state`: check `state`, take the code, exchange it once.
    const code = yield* client.parseCallback(yield* listening.callback, state)
    const tokens = yield* client.exchangeCode({ code, redirectUri: listening.uri })
    // 3. Call UltraCart with the access token (keep tokens in a TokenStore: see the adapters' TokenManager).
    const me = yield* client.me({ accessToken: tokens.accessToken })
    yield* Console.log(`Connected merchant ${Option.getOrElse(me.merchantId, () => "?")}`)
    yield* Console.log(`Permissions: ${me.permissions.join(", ") || "none listed"}`)
  }).pipe(
    Effect.scoped,
    Effect.catchTags({
      StateMismatch: () => stop("A forged or stale callback: start again"),
      AuthorizationDenied: () => stop("The merchant declined"),
      InvalidGrant: () => stop("The code expired or was used already: start again")
    })
  )

/** Against UltraCart: the three variables, a real transport, a human with a browser. */
const againstUltraCart = Effect.gen(function* () {
  const redirectUri = yield* Config.string("ULTRACART_REDIRECT_URI")
  const printUrl = (url: string) => Console.log(`Open this URL in your browser and approve:\n\n  ${url}\n`)
  // layerConfig reads ULTRACART_CLIENT_ID and ULTRACART_SIMPLE_KEY (and ULTRACART_BASE_URL, if set).
  const UltraCart = OAuthClient.layerConfig().pipe(Layer.provide(NodeTransport.layer()))
  yield* connect(redirectUri, printUrl).pipe(Effect.provide(UltraCart))
})

/** Against the fake: an app whose loopback redirect URI accepts any port, and a scripted browser. */
const againstTheFake = Effect.gen(function* () {
  const app = {
    clientId: "quickstart-app",
    redirectUris: ["http://127.0.0.1/callback"],
    loopbackAnyPort: true,
    permissions: ["order_read"]
  }
  const Fake = FakeUltraCart.clientLayer({ clientId: app.clientId }).pipe(
    Layer.provideMerge(Layer.merge(FakeUltraCartServer.layer({ clients: [app] }), NodeTransport.layer()))
  )
  // The merchant's browser: the fake approves at once and redirects to the callback, which fetch follows.
  const browser = (url: string) =>
    Effect.zipRight(
      Console.log(`(fake UltraCart on ${new URL(url).origin}: the merchant approves)`),
      Effect.promise(() => fetch(url).then((response) => response.text()))
    )
  yield* connect("http://127.0.0.1:0/callback", browser).pipe(Effect.provide(Fake))
})

const main = Effect.flatMap(Config.option(Config.string("ULTRACART_CLIENT_ID")), (clientId) =>
  Option.isSome(clientId) ? againstUltraCart : againstTheFake
)

main.pipe(NodeRuntime.runMain)
