/**
 * The fake UltraCart server of `@ultracart-oauth/testing`, served on loopback for trying the CLI without
 * UltraCart: by `ultracart-oauth fake-server` (a long-running server other commands point at) and by `--fake`
 * (one in this process, for one command). It adds what a merchant's browser would use: the device verification
 * page at the fake's `verification_uri`, where opening the complete URI approves the code.
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"

/**
 * The app the dev server registers: the testing fake's default app, accepting any port on its loopback redirect
 * URIs (RFC 8252 §7.3), so `--redirect-uri http://127.0.0.1:0/callback` works too.
 *
 * @since 0.1.0
 * @category constants
 */
export const CLIENT: FakeUltraCart.ClientRegistration = {
  ...FakeUltraCart.DEFAULT_CLIENT,
  redirectUris: ["http://127.0.0.1:8976/callback", "http://localhost:8976/callback"],
  loopbackAnyPort: true
}

/**
 * The port `fake-server` listens on by default.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PORT = 8977

const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

const html = (status: number, body: string) =>
  HttpServerResponse.html(
    `<!doctype html><meta charset="utf-8"><title>Fake UltraCart</title>` +
      `<body style="font-family:system-ui;margin:3em">${body}</body>`
  ).pipe(HttpServerResponse.setStatus(status))

/** GET …/oauth/device[?user_code=…[&decision=deny]]: a form, or the merchant's decision on the code. */
const devicePage = (fake: FakeUltraCart.FakeUltraCart.Service, params: URLSearchParams) => {
  const userCode = params.get("user_code")
  if (userCode === null || userCode.trim() === "") {
    return Effect.succeed(
      html(
        200,
        `<h1>Fake UltraCart: connect a device</h1><form><label>Code <input name="user_code" autofocus></label> ` +
          `<button>Approve</button> <button name="decision" value="deny">Deny</button></form>`
      )
    )
  }
  const decide = params.get("decision") === "deny" ? fake.denyDevice(userCode) : fake.approveDevice(userCode)
  return decide.pipe(
    Effect.as(
      html(
        200,
        `<h1>${params.get("decision") === "deny" ? "Denied" : "Approved"}</h1><p>Code ${escape(userCode)}. You can close this tab.</p>`
      )
    ),
    Effect.catchAll((error) => Effect.succeed(html(400, `<h1>Not accepted</h1><p>${escape(error.message)}</p>`)))
  )
}

/**
 * Options of the dev server.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number | undefined
  /** The device polling interval the fake asks for (5 seconds). */
  readonly deviceInterval?: Duration.DurationInput | undefined
}

/**
 * Serves the fake on `127.0.0.1` for the life of the scope; yields its controls (`baseUrl` included).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  options: DevServerOptions = {}
): Effect.Effect<FakeUltraCart.FakeUltraCart.Service, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { host: "127.0.0.1", port: options.port ?? 0 })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const fake = yield* FakeUltraCart.make({
      baseUrl: `http://127.0.0.1:${port}/rest/v2`,
      clients: [CLIENT],
      deviceInterval: options.deviceInterval
    })
    const devicePath = new URL(`${fake.baseUrl}/oauth/device`).pathname
    const fakeApp = FakeUltraCartServer.httpApp(fake)
    yield* server.serve(
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const url = new URL(request.url, fake.baseUrl)
        return request.method === "GET" && url.pathname === devicePath
          ? yield* devicePage(fake, url.searchParams)
          : yield* fakeApp
      })
    )
    return fake
  })
