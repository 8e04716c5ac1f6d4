/**
 * A real HTTP server on loopback (a port the OS picks) that answers every request the same way (200 `{}` unless
 * told otherwise) and records what reached it: method, path and headers.
 */
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Everything that reached the server, in order. */
  readonly received: ReadonlyArray<Received>
}

/** How the server answers every request. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

const ok: Answer = { status: 200, headers: { "content-type": "application/json" } }

/**
 * `handler` served on loopback for the scope (a port the OS picks): its `http://127.0.0.1:<port>`. Closed, open
 * connections and all, with the scope.
 */
export const listen = (handler: Http.RequestListener) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly origin: string }>((resume) => {
      const server = Http.createServer(handler)
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, origin: `http://127.0.0.1:${port}` }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ origin }) => origin))

/** A server for the scope, answering every request with `answer`; closed (connections and all) with the scope. */
export const makeWith = (answer: Answer) =>
  Effect.suspend(() => {
    const received: Array<Received> = []
    return Effect.map(
      listen((req, res) => {
        received.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers } })
        req.resume()
        req.on("end", () => {
          res.writeHead(answer.status, answer.headers)
          res.end("{}")
        })
      }),
      (origin): LoopbackServer => ({ origin, received })
    )
  })

/** A server for the scope answering 200 `{}`. */
export const make = makeWith(ok)
