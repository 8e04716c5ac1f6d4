import { describe, expect, it } from "@effect/vitest"
import { freePort } from "@ultracart-oauth/test-support/ServerProcess"
import { Effect, Either, Exit, Fiber, Scope } from "effect"
import * as Net from "node:net"
import { LoopbackCallback } from "../src/index.js"

// Real sockets on 127.0.0.1 (it.live), each server closed with its scope.

const get = (url: string) =>
  Effect.promise(() => fetch(url).then(async (response) => ({ status: response.status, body: await response.text() })))

const joinPage = <A>(fiber: Fiber.Fiber<A>) =>
  Effect.flatMap(fiber.await, (exit) => (Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.die("no page")))

/** Accepts a request whose `state` is `s`, refuses any other (as the login does with its state). */
const stateIsS = (url: URL) =>
  Effect.succeed(url.searchParams.get("state") === "s" ? Either.right(url) : Either.left("not this <login>"))

/** Sends raw bytes and yields what came back before the server closed or went quiet (never fails). */
const raw = (port: number, bytes: string, options: { readonly resetAfterSend?: boolean } = {}) =>
  Effect.async<string>((resume) => {
    let received = ""
    const socket = Net.connect(port, "127.0.0.1", () => {
      socket.write(bytes)
      if (options.resetAfterSend === true) socket.resetAndDestroy()
    })
    const done = () => resume(Effect.succeed(received))
    socket.setTimeout(1000, () => socket.destroy())
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1")
      // One answer per request is all these tests read.
      if (/\r\n\r\n/.test(received)) socket.end()
    })
    socket.on("error", done)
    socket.on("close", done)
  })

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)

describe("LoopbackCallback.listen", () => {
  it.live("port 0 binds a free port; the accepted request is answered with the CLI's page, later ones with 409", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
        expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/callback$/)
        expect((yield* get(new URL("/other", listener.redirectUri).toString())).status).toBe(404)

        const browser = yield* Effect.fork(get(`${listener.redirectUri}?code=c&state=s`))
        const callback = yield* listener.accept(stateIsS)
        expect(callback.searchParams.get("code")).toBe("c")
        expect((yield* get(`${listener.redirectUri}?code=again&state=s`)).status).toBe(409)
        yield* listener.reply({ ok: false, text: "state <mismatch>" })
        const page = yield* joinPage(browser)
        expect(page.status).toBe(400)
        expect(page.body).toContain("state &#60;mismatch&#62;")
      })
    )
  )

  it.live("a refused request gets a 400 page and the wait goes on until the login's own redirect", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
        const refused: Array<string> = []
        const waiting = yield* Effect.fork(
          listener.accept(stateIsS, (reason) => Effect.sync(() => void refused.push(reason)))
        )
        const forged = yield* get(`${listener.redirectUri}?code=evil&state=forged`)
        expect(forged.status).toBe(400)
        expect(forged.body).toContain("not this &#60;login&#62;")
        expect((yield* get(listener.redirectUri)).status).toBe(400)
        expect(refused).toEqual(["not this <login>", "not this <login>"])

        const browser = yield* Effect.fork(get(`${listener.redirectUri}?code=real&state=s`))
        const accepted = yield* Fiber.join(waiting)
        expect(accepted.searchParams.get("code")).toBe("real")
        yield* listener.reply({ ok: true, text: "done" })
        expect((yield* joinPage(browser)).status).toBe(200)
      })
    )
  )

  it.live("a check that fails ends the wait with its failure, that request being the login's", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
        const browser = yield* Effect.fork(get(`${listener.redirectUri}?error=access_denied&state=s`))
        const error = yield* Effect.flip(listener.accept(() => Effect.fail("denied" as const)))
        expect(error).toBe("denied")
        expect((yield* get(`${listener.redirectUri}?code=late&state=s`)).status).toBe(409)
        yield* listener.reply({ ok: false, text: "declined" })
        expect((yield* joinPage(browser)).status).toBe(400)
      })
    )
  )

  it.live("of two redirects arriving together, exactly one is accepted", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
        const first = yield* Effect.fork(get(`${listener.redirectUri}?code=one&state=s`))
        const second = yield* Effect.fork(get(`${listener.redirectUri}?code=two&state=s`))
        const accepted = yield* listener.accept(stateIsS)
        yield* listener.reply({ ok: true, text: "done" })
        const pages = [yield* joinPage(first), yield* joinPage(second)]
        expect(pages.map((p) => p.status).sort()).toEqual([200, 409])
        expect(["one", "two"]).toContain(accepted.searchParams.get("code"))
      })
    )
  )

  it.live(
    "malformed and hostile requests over a raw socket get their answer and never end the login",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
          const port = Number(new URL(listener.redirectUri).port)
          const waiting = yield* Effect.fork(listener.accept(stateIsS))
          const cases: ReadonlyArray<readonly [string, string, ReadonlyArray<number>]> = [
            ["an empty authority (the URL does not parse)", "GET // HTTP/1.1\r\nHost: x\r\n\r\n", [400]],
            ["an absolute URL that does not parse", "GET http://[::1/callback HTTP/1.1\r\nHost: x\r\n\r\n", [400]],
            [
              "an absolute URL to the right path, forged",
              "GET http://evil.test/callback?state=x HTTP/1.1\r\n\r\n",
              [400]
            ],
            ["the asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", [404]],
            ["POST with a body", "POST /callback?state=s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", [405]],
            ["bad percent-encoding", "GET /callback?state=%ZZ&code=%00%FF HTTP/1.1\r\nHost: x\r\n\r\n", [400]],
            ["not HTTP at all", "\u0000\u0001\u0002 garbage\r\n\r\n", [400, 0]],
            ["a NUL in the path", "GET /call\u0000back HTTP/1.1\r\nHost: x\r\n\r\n", [400, 0]],
            [
              "conflicting framing headers",
              "GET /callback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
              [400, 0]
            ],
            ["a 64 KB header", `GET /callback HTTP/1.1\r\nX-Big: ${"a".repeat(65536)}\r\n\r\n`, [431, 400, 0]],
            ["half a request, then silence", "GET /callback?state=s&code=c HTTP/1.1\r\nHost:", [0, 400, 408]]
          ]
          for (const [what, bytes, statuses] of cases) {
            const status = statusOf(yield* raw(port, bytes))
            expect([what, statuses.includes(status)]).toEqual([what, true])
          }
          // A request whose client is gone before its answer: answering it later must not throw.
          yield* raw(port, "GET /callback?state=gone HTTP/1.1\r\nHost: x\r\n\r\n", { resetAfterSend: true })
          expect(waiting.unsafePoll()).toBeNull()

          const browser = yield* Effect.fork(get(`${listener.redirectUri}?code=real&state=s`))
          expect((yield* Fiber.join(waiting)).searchParams.get("code")).toBe("real")
          yield* listener.reply({ ok: true, text: "done" })
          expect((yield* joinPage(browser)).status).toBe(200)
        })
      ),
    { timeout: 30_000 }
  )

  it.live("keeps the redirect URI exactly as given when its port is fixed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const listener = yield* LoopbackCallback.listen(`http://localhost:${port}`)
        expect(listener.redirectUri).toBe(`http://localhost:${port}`)
      })
    )
  )

  it.live("a browser still waiting when the login ends gets an answer; the port is free again", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const listener = yield* Scope.extend(LoopbackCallback.listen("http://127.0.0.1:0/cb"), scope)
      const browser = yield* Effect.fork(get(`${listener.redirectUri}?code=c&state=s`))
      yield* listener.accept(stateIsS)
      yield* Scope.close(scope, Exit.void)
      expect((yield* joinPage(browser)).status).toBe(500)
      yield* Effect.scoped(LoopbackCallback.listen(listener.redirectUri))
    })
  )

  it.live("refuses non-loopback or non-http redirect URIs and a port in use", () =>
    Effect.scoped(
      Effect.gen(function* () {
        for (const uri of [
          "https://127.0.0.1:8976/cb",
          "http://example.test/cb",
          "http://127.0.0.1:0/cb?x=1",
          "nope"
        ]) {
          const error = yield* Effect.flip(LoopbackCallback.listen(uri))
          expect(error._tag).toBe("CallbackListenerError")
        }
        const taken = yield* LoopbackCallback.listen("http://127.0.0.1:0/cb")
        const error = yield* Effect.flip(LoopbackCallback.listen(taken.redirectUri))
        expect(error.message).toContain("is in use")
      })
    )
  )
})
