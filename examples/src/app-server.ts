/**
 * An app that many merchants install, as a small web server with plain HTML pages:
 *
 *   - lists the connected merchants (a page at a time, from the grant registry's store);
 *   - connects a new one (the connect routes: UltraCart's consent page, then back here);
 *   - calls UltraCart's REST API as any of them (`grants.client(merchant)`);
 *   - shows grant events as they happen — connected, refreshed, "needs reconnect", disconnected — from the
 *     registry's event stream (nothing polls UltraCart);
 *   - disconnects a merchant (revoke at UltraCart, then forget).
 *
 * By default it starts the fake UltraCart on a loopback port, with its consent page (type a merchant id, Approve
 * or Deny) and a "Revoke at UltraCart" button per merchant to play a merchant removing the app. Given
 * ULTRACART_BASE_URL and ULTRACART_CLIENT_ID (optionally ULTRACART_SIMPLE_KEY) it talks to that server instead;
 * register `{origin}/connect/callback` there as the app's redirect URI.
 *
 * Settings: APP_HOST (127.0.0.1), APP_PORT (3000; 0 picks a free port), ULTRACART_APP_ORIGIN (the origin the
 * browser sees, default http://APP_HOST:PORT), ULTRACART_CONNECT_SECRET (32+ characters; a random one per run
 * when unset), ULTRACART_DATABASE_URL (where grants are kept: a `postgres://…` URL for PostgreSQL, else a SQLite
 * file — by default `ultracart-oauth.db` here, or a fresh temporary one against the embedded fake, which forgets
 * its grants when it stops).
 *
 * Run: pnpm app   (or: pnpm tsx examples/src/app-server.ts), then open the URL it prints.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { OAuthClient } from "@ultracart-oauth/core"
import { AuthorizeDecision, FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import * as TokenDatabase from "@ultracart-oauth/sql/TokenDatabase"
import { ConnectRoutes } from "@ultracart-oauth/web"
import { Config, Console, Context, Effect, Layer, Option, Redacted, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Http from "node:http"
import * as Feed from "./app-server/feed.js"
import { layout, merchantPage, merchantsPage } from "./app-server/pages.js"

/**
 * The REST call the merchant page makes as the merchant (its recent orders; e.g.
 * `{ title: "Who am I — GET /oauth/me", path: "/oauth/me" }` for the merchant's identity instead).
 */
export const REST_CALL = { title: "Recent orders — GET /order/orders", path: "/order/orders?_limit=5" }

/**
 * Where grants are kept: the SQL store — PostgreSQL for a `postgres://…` `ULTRACART_DATABASE_URL`, else a SQLite
 * file (`fallback` when the variable is unset). The tables are created (migrated) on start.
 */
export const tokenStore = (fallback: string) =>
  TokenDatabase.layerConfig(
    Config.map(TokenDatabase.config, (options) => ({ ...options, url: options.url ?? Redacted.make(fallback) }))
  )

const settings = Config.all({
  host: Config.withDefault(Config.nonEmptyString("APP_HOST"), "127.0.0.1"),
  port: Config.withDefault(
    Config.validate(Config.integer("APP_PORT"), {
      message: "Expected a port number (0 picks a free one)",
      validation: (n) => n >= 0 && n <= 65535
    }),
    3000
  ),
  appOrigin: Config.option(Config.nonEmptyString("ULTRACART_APP_ORIGIN")),
  secret: Config.option(Config.redacted("ULTRACART_CONNECT_SECRET")),
  baseUrl: Config.option(Config.nonEmptyString("ULTRACART_BASE_URL"))
})

/** The embedded fake UltraCart: its consent page, and the app's callback registered on any loopback port. */
const embeddedUltraCart = FakeUltraCartServer.make({
  authorizeDecision: AuthorizeDecision.consentPage(),
  clients: [
    {
      clientId: FakeUltraCart.DEFAULT_CLIENT.clientId,
      redirectUris: ["http://127.0.0.1/connect/callback", "http://localhost/connect/callback"],
      loopbackAnyPort: true,
      permissions: ["order_read", "customer_read", "item_read"]
    }
  ]
})

const html = (body: string, status = 200) => HttpServerResponse.html(body).pipe(HttpServerResponse.setStatus(status))

const queryOf = (url: string) => new URLSearchParams(url.split("?")[1] ?? "")

/** The flash line for what the browser was just sent back from. */
const flashOf = (query: URLSearchParams): string | undefined => {
  for (const [param, text] of [
    ["connected", "Connected"],
    ["disconnected", "Disconnected"],
    ["revoked", "Revoked at UltraCart (the app learns it on its next call)"]
  ] as const) {
    const key = query.get(param)
    if (key !== null) return `${text}: ${key}`
  }
  return undefined
}

/** The app's own pages, over the registry, the connect routes and the event feed. */
const appRouter = (
  grants: MerchantGrants.MerchantGrants.Service,
  routes: ConnectRoutes.ConnectRoutes.Service,
  feed: Feed.Feed,
  fake: Option.Option<FakeUltraCart.FakeUltraCart.Service>,
  origin: string
) => {
  const home = Effect.gen(function* () {
    const query = queryOf((yield* HttpServerRequest.HttpServerRequest).url)
    const page = yield* grants.list({ after: query.get("after") ?? undefined, limit: 10 })
    return html(
      merchantsPage({
        keys: page.keys,
        next: Option.getOrUndefined(page.next),
        badges: yield* feed.badges,
        recent: yield* feed.recent,
        csrfToken: yield* routes.csrfToken,
        flash: flashOf(query),
        startUrl: routes.startUrl("/"),
        disconnectPath: routes.disconnectPath,
        fakeControls: Option.isSome(fake)
      })
    )
  }).pipe(Effect.catchTag("TokenStoreError", (e) => Effect.succeed(html(layout("Store unavailable", e.message), 503))))

  const merchant = Effect.gen(function* () {
    const key = (yield* HttpRouter.params)["key"] ?? ""
    const call = yield* grants
      .client(key)
      .get(REST_CALL.path)
      .pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (body) => ({ status: `HTTP ${response.status}`, body: pretty(body) }))
        ),
        Effect.catchAll((error) => Effect.succeed({ status: error._tag, body: error.message }))
      )
    return html(merchantPage({ key, title: REST_CALL.title, ...call, startUrl: routes.startUrl("/") }))
  })

  const events = Effect.succeed(
    HttpServerResponse.stream(
      Stream.concat(
        Stream.make(": live grant events\n\n"),
        Stream.map(feed.live, (event) => `data: ${JSON.stringify(event)}\n\n`)
      ).pipe(Stream.encodeText),
      { contentType: "text/event-stream", headers: { "cache-control": "no-store" } }
    )
  )

  let router = HttpRouter.empty.pipe(
    HttpRouter.get("/", home),
    HttpRouter.get("/merchants/:key", merchant),
    HttpRouter.get("/events", events),
    HttpRouter.concat(routes.router)
  )
  if (Option.isSome(fake)) router = HttpRouter.post("/fake/revoke", revokeAtFake(grants, fake.value, origin))(router)
  return router
}

/** Embedded fake only: the merchant removes the app in UltraCart (a same-origin form post of this app's page). */
const revokeAtFake = (
  grants: MerchantGrants.MerchantGrants.Service,
  fake: FakeUltraCart.FakeUltraCart.Service,
  origin: string
) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.headers["origin"] !== origin) return html(layout("Refused", "<h1>Refused: not from this app</h1>"), 403)
    const form = yield* Effect.orElseSucceed(request.urlParamsBody, () => UrlParams.empty)
    const key = Option.getOrElse(UrlParams.getFirst(form, "merchant"), () => "")
    const tokens = yield* Effect.either(grants.tokens(key))
    if (tokens._tag === "Right") yield* fake.revoke(tokens.right.accessToken)
    return HttpServerResponse.redirect(`/?revoked=${encodeURIComponent(key)}`, { status: 303 })
  })

const pretty = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

const program = Effect.gen(function* () {
  const config = yield* settings
  const server = yield* NodeHttpServer.make(() => Http.createServer(), { host: config.host, port: config.port })
  const port = server.address._tag === "TcpAddress" ? server.address.port : config.port
  const origin = Option.getOrElse(config.appOrigin, () => `http://${config.host}:${port}`)
  const fake = Option.isNone(config.baseUrl) ? Option.some(yield* embeddedUltraCart) : Option.none()
  const oauth = Option.match(fake, {
    onNone: () => OAuthClient.layerConfig(),
    onSome: (f) => OAuthClient.layer({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId, baseUrl: f.baseUrl })
  })
  const apiBaseUrl = Option.getOrUndefined(
    Option.orElse(
      Option.map(fake, (f) => f.baseUrl),
      () => config.baseUrl
    )
  )
  const services = yield* Layer.build(
    MerchantGrants.layer({ api: { baseUrl: apiBaseUrl } }).pipe(
      Layer.provideMerge(
        tokenStore(
          Option.isSome(fake)
            ? join(mkdtempSync(join(tmpdir(), "ultracart-app-")), "grants.db")
            : TokenDatabase.DEFAULT_SQLITE_FILE
        )
      ),
      Layer.provideMerge(oauth),
      Layer.provideMerge(NodeTransport.layer())
    )
  )
  const grants = Context.get(services, MerchantGrants.MerchantGrants)
  const secret = Option.getOrElse(config.secret, () => Redacted.make(randomBytes(32).toString("base64url")))
  const routes = yield* ConnectRoutes.make({ appOrigin: origin, secret }).pipe(Effect.provide(services))
  const feed = yield* Feed.make(grants)
  yield* server.serve(appRouter(grants, routes, feed, fake, origin), HttpMiddleware.logger)
  yield* Console.log(
    Option.match(fake, {
      onNone: () => `UltraCart at ${apiBaseUrl}; register ${routes.redirectUri} as the app's redirect URI`,
      onSome: (f) => `Fake UltraCart on ${f.baseUrl} (consent page: type a merchant id, then Approve or Deny)`
    })
  )
  yield* Console.log(`App on ${origin}/ — open it in a browser`)
  return yield* Effect.never
})

program.pipe(Effect.scoped, NodeRuntime.runMain)
