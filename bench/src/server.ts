/**
 * The loopback token endpoint the benchmarks call: a hand-written HTTP/1.1 server on `node:net` that answers every
 * request with one fixed token body. It parses only what it must (the end of the head, `content-length` or a chunked
 * body's end), so its own cost stays far below the client's. It runs in its own process; it prints its port.
 */
import * as Net from "node:net"
import { TOKEN_BODY } from "./fixtures.js"

const response = Buffer.from(
  "HTTP/1.1 200 OK\r\n" +
    "Content-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(TOKEN_BODY)}\r\n` +
    "Connection: keep-alive\r\n" +
    "Keep-Alive: timeout=600\r\n" +
    "\r\n" +
    TOKEN_BODY,
  "latin1"
)

const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i
const chunked = /\r\ntransfer-encoding:[ \t]*chunked/i

/** How many complete requests `buffer` holds, and what is left of it after them. */
const takeRequests = (buffer: string): readonly [number, string] => {
  let count = 0
  let rest = buffer
  for (;;) {
    const headEnd = rest.indexOf("\r\n\r\n")
    if (headEnd < 0) break
    const head = rest.slice(0, headEnd)
    let end: number
    if (chunked.test(head)) {
      const last = rest.indexOf("\r\n0\r\n\r\n", headEnd + 2)
      if (last < 0) break
      end = last + 7
    } else {
      end = headEnd + 4 + Number(contentLength.exec(head)?.[1] ?? 0)
      if (rest.length < end) break
    }
    rest = rest.slice(end)
    count++
  }
  return [count, rest]
}

const server = Net.createServer((socket) => {
  socket.setNoDelay(true)
  let pending = ""
  socket.on("data", (chunk) => {
    const [count, rest] = takeRequests(pending + chunk.toString("latin1"))
    pending = rest
    if (count === 1) socket.write(response)
    else if (count > 1) socket.write(Buffer.concat(Array.from({ length: count }, () => response)))
  })
  socket.on("error", () => socket.destroy())
})

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  process.stdout.write(`${address.port}\n`)
})
process.on("SIGTERM", () => process.exit(0))
process.on("disconnect", () => process.exit(0))
