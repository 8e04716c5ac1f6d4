/**
 * The loopback server the benchmarks call: a hand-written HTTP/1.1 server on `node:net` that answers every `GET`
 * under `/rest/v2/` with one fixed order (the REST API) and every other request with one fixed token body (the
 * token endpoint). It parses only what it must (the request line's start, the end of the head, `content-length` or
 * a chunked body's end), so its own cost stays far below the client's. It runs in its own process, started once
 * for a whole run; it prints its port.
 */
import * as Net from "node:net"
import { API_BODY, TOKEN_BODY } from "./fixtures.js"

const answer = (body: string) =>
  Buffer.from(
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: keep-alive\r\n" +
      "Keep-Alive: timeout=600\r\n" +
      "\r\n" +
      body,
    "latin1"
  )
const tokenResponse = answer(TOKEN_BODY)
const apiResponse = answer(API_BODY)

const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i
const chunked = /\r\ntransfer-encoding:[ \t]*chunked/i

/** The answers to the complete requests `buffer` holds, and what is left of it after them. */
const takeRequests = (buffer: string): readonly [Array<Buffer>, string] => {
  const answers: Array<Buffer> = []
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
    answers.push(rest.startsWith("GET /rest/v2/") ? apiResponse : tokenResponse)
    rest = rest.slice(end)
  }
  return [answers, rest]
}

const server = Net.createServer((socket) => {
  socket.setNoDelay(true)
  let pending = ""
  socket.on("data", (chunk) => {
    const [answers, rest] = takeRequests(pending + chunk.toString("latin1"))
    pending = rest
    if (answers.length === 1) socket.write(answers[0]!)
    else if (answers.length > 1) socket.write(Buffer.concat(answers))
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
