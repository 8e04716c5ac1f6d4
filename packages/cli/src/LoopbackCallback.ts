/**
 * The loopback listener of a command-line login (RFC 8252 §7.3): an HTTP server on the redirect URI's loopback
 * address that waits for the one redirect UltraCart sends the merchant's browser back with, and answers the
 * browser with a short page once the CLI knows how the login went.
 *
 * Any local process and any web page the merchant visits can send requests to it. A request that is not the
 * login's redirect — another path, another method, a URL that does not parse, a redirect without this login's
 * `state` — gets its answer (404, 405, 400) and the listener keeps waiting for the real one. Exactly one request is
 * accepted; later ones get 409. Nothing a request sends can throw out of the handler.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
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
 * How the login reads one request to the redirect path: `Right(a)` accepts it (the wait ends with `a`),
 * `Left(reason)` refuses it (its browser gets a 400 page saying `reason`, and the wait goes on); a failure ends the
 * wait with that failure, the request counting as the accepted one.
 *
 * @since 0.2.0
 * @category models
 */
export type Check<A, E, R> = (url: URL) => Effect.Effect<Either.Either<A, string>, E, R>

/**
 * A running listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listener {
  /** The redirect URI to send, with the port actually bound (a `:0` port is replaced by the one chosen). */
  readonly redirectUri: string
  /**
   * Waits for the request `check` accepts (see {@link Check}); `onRefused` hears of each refused one. Call it once.
   *
   * @since 0.2.0
   */
  readonly accept: <A, E, R>(
    check: Check<A, E, R>,
    onRefused?: (reason: string) => Effect.Effect<void>
  ) => Effect.Effect<A, E, R>
  /** Answers the browser whose request was accepted. */
  readonly reply: (page: { readonly ok: boolean; readonly text: string }) => Effect.Effect<void>
}

interface Incoming {
  readonly url: URL
  readonly response: Http.ServerResponse
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"])

const hint = "use a loopback redirect URI registered with the app, such as http://127.0.0.1:8976/callback"

/** Requests waiting to be read; past this many, a request is answered 503 at once. */
const BACKLOG = 32

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

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (ok: boolean, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>ultracart-oauth</title>` +
  `<body style="font-family:system-ui;margin:3em"><h1>${ok ? "Done" : "Login failed"}</h1><p>${escapeHtml(text)}</p>` +
  `<p>You can close this tab.</p></body>`

const refusedPage = (reason: string): string =>
  `<!doctype html><meta charset="utf-8"><title>ultracart-oauth</title>` +
  `<body style="font-family:system-ui;margin:3em"><h1>Not this login's redirect</h1><p>${escapeHtml(reason)}</p>` +
  `<p>The command line is still waiting for its own redirect.</p></body>`

/** Answers once, whatever state the connection is in; never throws. */
const answer = (response: Http.ServerResponse, status: number, type: "text/plain" | "text/html", body: string) => {
  try {
    if (response.headersSent || response.writableEnded || response.destroyed) return
    response
      .writeHead(status, {
        "content-type": `${type}; charset=utf-8`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer"
      })
      .end(body)
  } catch {
    response.destroy()
  }
}

const listenFailure = (redirectUri: string, url: URL, error: NodeJS.ErrnoException) =>
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

/**
 * Starts listening on the redirect URI's host and port (port 0 picks a free one) for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listen = (redirectUri: string): Effect.Effect<Listener, CallbackListenerError, Scope.Scope> =>
  Effect.gen(function* () {
    const url = yield* parse(redirectUri)
    // Requests to the redirect path not read yet, and the waiting reader's wake-up, if one waits.
    const incoming: Array<Incoming> = []
    let wake: (() => void) | undefined
    // The accepted request's response, once there is one: every later request is answered 409.
    let accepted: Http.ServerResponse | undefined
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1")

    const handle = (request: Http.IncomingMessage, response: Http.ServerResponse) => {
      response.on("error", () => response.destroy())
      let target: URL
      try {
        target = new URL(request.url ?? "", url)
      } catch {
        return answer(response, 400, "text/plain", "malformed request")
      }
      if (target.pathname !== url.pathname) return answer(response, 404, "text/plain", "not found")
      if (request.method !== "GET") return answer(response, 405, "text/plain", "method not allowed")
      if (accepted !== undefined) {
        return answer(response, 409, "text/plain", "this login has already received its redirect")
      }
      if (incoming.length >= BACKLOG) return answer(response, 503, "text/plain", "too many requests")
      incoming.push({ url: target, response })
      wake?.()
    }

    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server, CallbackListenerError>((resume) => {
        const server = Http.createServer((request, response) => {
          try {
            handle(request, response)
          } catch {
            response.destroy()
          }
        })
        server.once("error", (error: NodeJS.ErrnoException) =>
          resume(Effect.fail(listenFailure(redirectUri, url, error)))
        )
        server.listen(url.port === "" ? 80 : Number(url.port), host, () => {
          // Errors after listening (a connection reset, a malformed request) belong to that request only.
          server.on("error", () => {})
          resume(Effect.succeed(server))
        })
      }),
      (server) =>
        Effect.sync(() => {
          if (accepted !== undefined) answer(accepted, 500, "text/html", page(false, "The login ended."))
          for (const waiting of incoming.splice(0)) answer(waiting.response, 503, "text/plain", "the login has ended")
          server.close()
          server.closeAllConnections()
        })
    )
    const address = server.address()
    const port = address !== null && typeof address === "object" ? address.port : Number(url.port)
    // The URI as given (it must match the registered one exactly), unless its port was left to the system.
    const actual = new URL(url)
    actual.port = String(port)

    /** Decided, one way or the other: this is the login's request, and every other one is turned away. */
    const settle = (response: Http.ServerResponse) => {
      accepted = response
      for (const waiting of incoming.splice(0)) {
        answer(waiting.response, 409, "text/plain", "this login has already received its redirect")
      }
    }

    const take: Effect.Effect<Incoming> = Effect.async<Incoming>((resume) => {
      const first = incoming.shift()
      if (first !== undefined) return resume(Effect.succeed(first))
      wake = () => {
        const next = incoming.shift()
        if (next === undefined) return
        wake = undefined
        resume(Effect.succeed(next))
      }
      return Effect.sync(() => void (wake = undefined))
    })

    const accept = <A, E, R>(
      check: Check<A, E, R>,
      onRefused: (reason: string) => Effect.Effect<void> = () => Effect.void
    ): Effect.Effect<A, E, R> => {
      const next: Effect.Effect<A, E, R> = Effect.flatMap(take, ({ response, url }) =>
        Effect.flatMap(Effect.exit(check(url)), (exit): Effect.Effect<A, E, R> => {
          if (Exit.isFailure(exit)) {
            settle(response)
            return Effect.failCause(exit.cause)
          }
          const decision = exit.value
          if (Either.isLeft(decision)) {
            answer(response, 400, "text/html", refusedPage(decision.left))
            return Effect.zipRight(onRefused(decision.left), next)
          }
          settle(response)
          return Effect.succeed(decision.right)
        })
      )
      return next
    }

    return {
      redirectUri: url.port === "0" ? actual.toString() : redirectUri,
      accept,
      reply: ({ ok, text }) =>
        Effect.sync(() => {
          if (accepted !== undefined) answer(accepted, ok ? 200 : 400, "text/html", page(ok, text))
        })
    } satisfies Listener
  })
