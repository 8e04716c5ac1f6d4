import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as Net from "node:net"
import { LoopbackCallback } from "../src/index.js"

// Real sockets on 127.0.0.1 (it.live), each server closed with its scope.

const get = (url: string) =>
  Effect.promise(() => fetch(url).then(async (response) => ({ status: response.status, body: await response.text() })))

describe("LoopbackCallback.listen", () => {
  it.live("port 0 binds a free port; the first redirect is handed over and answered with the CLI's page", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const listener = yield* LoopbackCallback.listen("http://127.0.0.1:0/callback")
        expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/callback$/)
        expect((yield* get(new URL("/other", listener.redirectUri).toString())).status).toBe(404)

        const browser = yield* Effect.fork(get(`${listener.redirectUri}?code=c&state=s`))
        const callback = yield* listener.callback
        expect(callback.searchParams.get("code")).toBe("c")
        expect((yield* get(`${listener.redirectUri}?code=again&state=s`)).status).toBe(409)
        yield* listener.reply({ ok: false, text: "state <mismatch>" })
        const page = yield* Effect.flatMap(browser.await, (exit) =>
          Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.die("no page")
        )
        expect(page.status).toBe(400)
        expect(page.body).toContain("state &#60;mismatch&#62;")
      })
    )
  )

  it.live("keeps the redirect URI exactly as given when its port is fixed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const port = yield* freePort
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
      yield* listener.callback
      yield* Scope.close(scope, Exit.void)
      const page = yield* Effect.flatMap(browser.await, (exit) =>
        Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.die("no page")
      )
      expect(page.status).toBe(500)
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

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = Net.createServer().listen(0, "127.0.0.1", () => {
        const address = server.address()
        server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
      })
    })
)
