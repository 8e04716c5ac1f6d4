/**
 * A small app on a real loopback HTTP server (NodeHttpServer, port 0) with the connect routes mounted, over the
 * grant registry and the in-memory fake UltraCart; and a browser-like client (a cookie jar, redirects read and not
 * followed) to drive it.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import type * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Effect, Layer, Redacted } from "effect"
import * as Http from "node:http"
import * as ConnectRoutes from "../../src/ConnectRoutes.js"

export const SECRET = Redacted.make("a connect secret for tests, 44 characters..")
export const CLIENT_ID = "web-test-app"

/** The fake UltraCart (in memory) with an app whose redirect URI is the loopback callback on any port. */
export const ultraCart = (options: FakeUltraCart.FakeUltraCartOptions = {}) =>
  MerchantGrants.layer({ api: { baseUrl: FakeUltraCart.DEFAULT_BASE_URL } }).pipe(
    Layer.provideMerge(TokenStore.layerMemory),
    Layer.provideMerge(FakeUltraCart.clientLayer({ clientId: CLIENT_ID })),
    Layer.provideMerge(
      FakeUltraCart.layer({
        clients: [
          {
            clientId: CLIENT_ID,
            redirectUris: ["http://127.0.0.1/connect/callback"],
            loopbackAnyPort: true,
            permissions: ["order_read"]
          }
        ],
        ...options
      })
    ),
    Layer.orDie
  )

export type UltraCart = Layer.Layer.Success<ReturnType<typeof ultraCart>>

/**
 * Starts the app on 127.0.0.1 and a free port: the connect routes, and `/form`, a page with a disconnect form
 * (its token from `csrfToken`). The platform's request logger is on, as an app would have it.
 */
export const startApp = (options: Partial<ConnectRoutes.ConnectRoutesOptions> = {}) =>
  Effect.gen(function* () {
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { host: "127.0.0.1", port: 0 })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const origin = `http://127.0.0.1:${port}`
    const routes = yield* ConnectRoutes.make({ appOrigin: origin, secret: SECRET, ...options })
    const form = Effect.map(routes.csrfToken, (token) =>
      HttpServerResponse.html(
        `<form method="post" action="${routes.disconnectPath}"><input name="csrf_token" value="${token}"></form>`
      )
    )
    const app = HttpRouter.empty.pipe(
      HttpRouter.get("/form", form),
      HttpRouter.get("/", HttpServerResponse.html("home")),
      HttpRouter.concat(routes.router)
    )
    yield* server.serve(app, HttpMiddleware.logger)
    return { origin, routes }
  })

/** What a response said, read once. */
export interface Answer {
  readonly status: number
  readonly location: string | null
  readonly setCookies: ReadonlyArray<string>
  readonly body: string
}

/** A browser's cookies for one origin, and requests that read redirects instead of following them. */
export class Browser {
  readonly cookies = new Map<string, string>()
  /** Every answer this browser got, for checks over all of them. */
  readonly answers: Array<Answer> = []

  request(
    url: string,
    init: {
      readonly method?: string
      readonly form?: Record<string, string>
      readonly headers?: Record<string, string>
    } = {}
  ): Effect.Effect<Answer> {
    return Effect.promise(async () => {
      const headers: Record<string, string> = { ...init.headers }
      const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ")
      if (cookie !== "") headers["cookie"] = cookie
      const response = await fetch(url, {
        method: init.method ?? (init.form === undefined ? "GET" : "POST"),
        headers,
        redirect: "manual",
        ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form) })
      })
      const setCookies = response.headers.getSetCookie()
      for (const line of setCookies) this.take(line)
      const answer = {
        status: response.status,
        location: response.headers.get("location"),
        setCookies,
        body: await response.text()
      }
      this.answers.push(answer)
      return answer
    })
  }

  private take(line: string): void {
    const [pair = ""] = line.split(";")
    const at = pair.indexOf("=")
    const name = pair.slice(0, at)
    const expired = /;\s*max-age=0\b/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line)
    if (expired) this.cookies.delete(name)
    else this.cookies.set(name, pair.slice(at + 1))
  }
}

/** The names of this browser's flow cookies. */
export const flowCookies = (browser: Browser): Array<string> =>
  [...browser.cookies.keys()].filter((name) => name.startsWith("ucoauth-flow-"))

/** Plays UltraCart's consent page for the authorize URL the start route sent the browser to. */
export const approveAt = (authorizeUrl: string | null, merchantId: string) =>
  Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) => fake.approve(authorizeUrl ?? "", { merchantId }))

/** The parameter of a URL's query. */
export const paramOf = (url: string | null, name: string): string => new URL(url ?? "").searchParams.get(name) ?? ""

/** `OAuthClient` is only used to type the environment of tests. */
export type Env = UltraCart | OAuthClient.OAuthClient
