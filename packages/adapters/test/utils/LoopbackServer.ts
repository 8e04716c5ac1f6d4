/**
 * A real HTTP server on loopback (a port the OS picks) that answers every request with 200 `{}` and records what
 * reached it: method, path and headers.
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

/** A server for the scope; closed (connections and all) when the scope closes. */
export const make = Effect.acquireRelease(
  Effect.async<{ readonly server: Http.Server; readonly loopback: LoopbackServer }>((resume) => {
    const received: Array<Received> = []
    const server = Http.createServer((req, res) => {
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers } })
      req.resume()
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ server, loopback: { origin: `http://127.0.0.1:${port}`, received } }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ loopback }) => loopback))
