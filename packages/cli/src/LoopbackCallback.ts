/**
 * The loopback listener of a command-line login (RFC 8252 §7.3): an HTTP server on the redirect URI's loopback
 * address that waits for the one redirect UltraCart sends the merchant's browser back with, and answers the
 * browser with a short page once the CLI knows how the login went.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"

/**
 * The listener cannot start: the redirect URI is not a loopback `http` URL, or its port is taken.
 *
 * @since 0.1.0
 * @category errors
 */
export class CallbackListenerError extends Schema.TaggedError<CallbackListenerError>()("CallbackListenerError", {
  redirectUri: Schema.String,
  reason: Schema.String,
  hint: Schema.String
}) {
  override get message(): string {
    return `Cannot listen for the redirect to ${this.redirectUri}: ${this.reason}`
  }
}

/**
 * A running listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listener {
  /** The redirect URI to send, with the port actually bound (a `:0` port is replaced by the one chosen). */
  readonly redirectUri: string
  /** The first request to the redirect path (its full URL, query included). */
  readonly callback: Effect.Effect<URL>
  /** Answers the browser that made that request. */
  readonly reply: (page: { readonly ok: boolean; readonly text: string }) => Effect.Effect<void>
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"])

const hint = "use a loopback redirect URI registered with the app, such as http://127.0.0.1:8976/callback"

const parse = (redirectUri: string): Effect.Effect<URL, CallbackListenerError> => {
  const fail = (reason: string, h = hint) => Effect.fail(new CallbackListenerError({ redirectUri, reason, hint: h }))
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    return fail("it is not a URL")
  }
  if (url.protocol !== "http:") return fail("a command-line login listens on plain http on loopback")
  if (!LOOPBACK_HOSTS.has(url.hostname)) return fail(`${url.hostname} is not a loopback address`)
  if (url.search !== "" || url.hash !== "") return fail("a redirect URI has no query or fragment")
  return Effect.succeed(url)
}

const page = (ok: boolean, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>ultracart-oauth</title>` +
  `<body style="font-family:system-ui;margin:3em"><h1>${ok ? "Done" : "Login failed"}</h1><p>${text.replace(
    /[&<>"]/g,
    (c) => `&#${c.charCodeAt(0)};`
  )}</p><p>You can close this tab.</p></body>`

/**
 * Starts listening on the redirect URI's host and port (port 0 picks a free one) for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listen = (redirectUri: string): Effect.Effect<Listener, CallbackListenerError, Scope.Scope> =>
  Effect.gen(function* () {
    const url = yield* parse(redirectUri)
    const received = yield* Deferred.make<URL>()
    let pending: Option.Option<Http.ServerResponse> = Option.none()
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1")

    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server, CallbackListenerError>((resume) => {
        const server = Http.createServer((request, response) => {
          const target = new URL(request.url ?? "/", url)
          if (request.method !== "GET" || target.pathname !== url.pathname) {
            response.writeHead(404, { "content-type": "text/plain" }).end("not found")
            return
          }
          if (Option.isSome(pending)) {
            // Only the first redirect counts; a second one (a reload, another tab) gets a plain answer.
            response
              .writeHead(409, { "content-type": "text/plain" })
              .end("this login has already received its redirect")
            return
          }
          pending = Option.some(response)
          Deferred.unsafeDone(received, Exit.succeed(target))
        })
        server.once("error", (error: NodeJS.ErrnoException) =>
          resume(
            Effect.fail(
              new CallbackListenerError({
                redirectUri,
                reason:
                  error.code === "EADDRINUSE"
                    ? `port ${url.port} is in use`
                    : error.code === "EACCES"
                      ? `port ${url.port || "80"} needs privileges`
                      : `the listener failed (${error.code ?? "error"})`,
                hint:
                  error.code === "EADDRINUSE"
                    ? "stop what uses the port, or use another loopback redirect URI registered with the app"
                    : hint
              })
            )
          )
        )
        server.listen(url.port === "" ? 80 : Number(url.port), host, () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.sync(() => {
          Option.map(pending, (response) => {
            if (!response.writableEnded)
              response.writeHead(500, { "content-type": "text/html" }).end(page(false, "The login ended."))
          })
          server.close()
          server.closeAllConnections()
        })
    )
    const address = server.address()
    const port = address !== null && typeof address === "object" ? address.port : Number(url.port)
    // The URI as given (it must match the registered one exactly), unless its port was left to the system.
    const actual = new URL(url)
    actual.port = String(port)
    return {
      redirectUri: url.port === "0" ? actual.toString() : redirectUri,
      callback: Deferred.await(received),
      reply: ({ ok, text }) =>
        Effect.sync(() => {
          Option.map(pending, (response) => {
            if (!response.writableEnded) {
              response.writeHead(ok ? 200 : 400, { "content-type": "text/html; charset=utf-8" }).end(page(ok, text))
            }
          })
        })
    }
  })
