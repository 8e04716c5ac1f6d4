/**
 * The clients under measurement, each doing the same thing: `POST /oauth/token` with an authorization-code grant
 * (form body, `accept` and `x-ultracart-api-version` headers), reading and parsing the JSON answer.
 *
 * Every client exposes `run(calls, inFlight)`: `calls` requests, at most `inFlight` at a time. Promise clients are
 * driven by `inFlight` async loops; our Effect client by `inFlight` fibers, in one `runPromise` per batch (how an
 * Effect program uses it).
 */
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as Timeouts from "@ultracart-oauth/adapters/Timeouts"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import * as Https from "node:https"
import * as oauth from "oauth4webapi"
// simple-oauth2 ships CommonJS without types.
// @ts-expect-error no declaration file
import { AuthorizationCode } from "simple-oauth2"
import { API_VERSION, CLIENT_ID, CODE, REDIRECT_URI } from "./fixtures.js"

export interface BenchClient {
  readonly id: string
  readonly label: string
  /** Sends `calls` token requests with at most `inFlight` outstanding. */
  readonly run: (calls: number, inFlight: number) => Promise<void>
  readonly close: () => Promise<void>
}

const fail = (what: string): never => {
  throw new Error(`${what}: unexpected answer`)
}

/** Runs a promise-returning call `calls` times from `inFlight` loops. */
const promiseRunner =
  (call: () => Promise<unknown>) =>
  async (calls: number, inFlight: number): Promise<void> => {
    if (inFlight <= 1) {
      for (let i = 0; i < calls; i++) await call()
      return
    }
    let left = calls
    const worker = async () => {
      while (left > 0) {
        left--
        await call()
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
  }

const formBody = (): string =>
  `client_id=${encodeURIComponent(CLIENT_ID)}&grant_type=authorization_code&code=${encodeURIComponent(CODE)}` +
  `&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`

/** The floor: a hand-written `node:http` keep-alive client. */
export const nodeHttpFloor = (base: string): BenchClient => {
  const url = new URL(`${base}/oauth/token`)
  const agent = new Http.Agent({ keepAlive: true, scheduling: "lifo" })
  const call = () =>
    new Promise<unknown>((resolve, reject) => {
      const body = formBody()
      const request = Http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            accept: "application/json",
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
            "x-ultracart-api-version": API_VERSION
          }
        },
        (response) => {
          let text = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            text += chunk
          })
          response.on("end", () => {
            const json = JSON.parse(text) as { access_token?: unknown }
            if (response.statusCode !== 200 || typeof json.access_token !== "string") reject(fail("node:http"))
            else resolve(json)
          })
          response.on("error", reject)
        }
      )
      request.on("error", reject)
      request.end(body)
    })
  return {
    id: "node-http",
    label: "node:http, hand-written (floor)",
    run: promiseRunner(call),
    close: async () => agent.destroy()
  }
}

/** `fetch` by hand; `abortable` gives each request an `AbortSignal`, as any client that can cancel must. */
const handFetch = (base: string, abortable: boolean): BenchClient => {
  const url = `${base}/oauth/token`
  const headers = {
    accept: "application/json",
    "content-type": "application/x-www-form-urlencoded",
    "x-ultracart-api-version": API_VERSION
  }
  const call = async () => {
    const init: RequestInit = { method: "POST", redirect: "manual", headers, body: formBody() }
    if (abortable) init.signal = new AbortController().signal
    const response = await fetch(url, init)
    const json = (await response.json()) as { access_token?: unknown }
    if (response.status !== 200 || typeof json.access_token !== "string") fail("fetch")
    return json
  }
  return abortable
    ? {
        id: "fetch-signal",
        label: "fetch, hand-written, with an AbortSignal",
        run: promiseRunner(call),
        close: async () => {}
      }
    : { id: "fetch", label: "fetch, hand-written (fetch floor)", run: promiseRunner(call), close: async () => {} }
}

/** The fetch floor: `fetch` by hand. */
export const rawFetch = (base: string): BenchClient => handFetch(base, false)

/** `fetch` by hand, abortable. */
export const rawFetchWithSignal = (base: string): BenchClient => handFetch(base, true)

/** oauth4webapi (over the global `fetch`), a public client (UltraCart has no client secret). */
export const oauth4webapi = (base: string): BenchClient => {
  const as: oauth.AuthorizationServer = { issuer: base, token_endpoint: `${base}/oauth/token` }
  const client: oauth.Client = { client_id: CLIENT_ID }
  const auth = oauth.None()
  const options = {
    [oauth.allowInsecureRequests]: true,
    headers: { "x-ultracart-api-version": API_VERSION }
  }
  const call = async () => {
    const params = oauth.validateAuthResponse(as, client, new URLSearchParams({ code: CODE }), oauth.expectNoState)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      REDIRECT_URI,
      oauth.nopkce,
      options
    )
    const result = await oauth.processAuthorizationCodeResponse(as, client, response)
    if (typeof result.access_token !== "string") fail("oauth4webapi")
    return result
  }
  return { id: "oauth4webapi", label: "oauth4webapi 3.8.8 (fetch)", run: promiseRunner(call), close: async () => {} }
}

/** simple-oauth2 (@hapi/wreck over `node:http`), given keep-alive agents like every other client. */
export const simpleOAuth2 = (base: string): BenchClient => {
  const agents = {
    http: new Http.Agent({ keepAlive: true, scheduling: "lifo" }),
    https: new Https.Agent({ keepAlive: true }),
    httpsAllowUnauthorized: new Https.Agent({ keepAlive: true, rejectUnauthorized: false })
  }
  const client = new AuthorizationCode({
    client: { id: CLIENT_ID, secret: "" },
    auth: { tokenHost: base, tokenPath: "/oauth/token" },
    options: { authorizationMethod: "body" },
    http: { agents, headers: { accept: "application/json", "x-ultracart-api-version": API_VERSION } }
  })
  const call = async () => {
    const token = (await client.getToken({ code: CODE, redirect_uri: REDIRECT_URI })) as {
      token: { access_token?: unknown }
    }
    if (typeof token.token.access_token !== "string") fail("simple-oauth2")
    return token
  }
  return {
    id: "simple-oauth2",
    label: "simple-oauth2 5.1.0 (wreck, node:http)",
    run: promiseRunner(call),
    close: async () => {
      agents.http.destroy()
      agents.https.destroy()
      agents.httpsAllowUnauthorized.destroy()
    }
  }
}

/**
 * Runs `call()` `calls` times in an Effect program: one fiber, or `inFlight` fibers (how an Effect program uses it).
 */
const effectRunner = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
  call: () => Effect.Effect<unknown, unknown, R>
) => {
  const loop = (calls: number): Effect.Effect<void, unknown, R> =>
    calls <= 0 ? Effect.void : Effect.flatMap(call(), () => loop(calls - 1))
  return (calls: number, inFlight: number): Promise<void> => {
    if (inFlight <= 1) return runtime.runPromise(loop(calls))
    const each = Math.floor(calls / inFlight)
    const extra = calls - each * inFlight
    const workers = Array.from({ length: inFlight }, (_, i) => loop(each + (i < extra ? 1 : 0)))
    return runtime.runPromise(Effect.all(workers, { concurrency: "unbounded", discard: true }))
  }
}

/**
 * The least any Effect client over `fetch` does: the hand-written `fetch` inside one `Effect.async`, aborted through
 * its signal when the fiber is interrupted. No typed request, no decoding, no `Redacted`: what is left is Effect's
 * own cost of an interruptible call (the fiber's suspension and resumption, the interrupt handler, the signal).
 */
export const effectFetch = (base: string): BenchClient => {
  const url = `${base}/oauth/token`
  const headers = {
    accept: "application/json",
    "content-type": "application/x-www-form-urlencoded",
    "x-ultracart-api-version": API_VERSION
  }
  const call = Effect.async<unknown>((resume) => {
    const controller = new AbortController()
    fetch(url, { method: "POST", redirect: "manual", headers, body: formBody(), signal: controller.signal })
      .then((response) =>
        response.json().then((json: { access_token?: unknown }) => {
          if (response.status !== 200 || typeof json.access_token !== "string") fail("effect-fetch")
          resume(Effect.succeed(json))
        })
      )
      .catch((cause: unknown) => resume(Effect.die(cause)))
    return Effect.sync(() => controller.abort())
  })
  const runtime = ManagedRuntime.make(Layer.empty)
  return {
    id: "effect-fetch",
    label: "fetch in Effect.async, abortable (Effect's floor)",
    run: effectRunner(runtime, () => call),
    close: () => runtime.dispose()
  }
}

/** Our client over one of our transports. */
const ours = (
  id: string,
  label: string,
  base: string,
  transport: Layer.Layer<HttpClient.HttpClient>,
  options: Partial<OAuthClient.OAuthClientOptions> = {}
): BenchClient => {
  const runtime = ManagedRuntime.make(
    OAuthClient.layer({ clientId: CLIENT_ID, baseUrl: base, ...options }).pipe(Layer.provide(transport))
  )
  const clientPromise = runtime.runPromise(OAuthClient.OAuthClient)
  return {
    id,
    label,
    run: async (calls, inFlight) => {
      const client = await clientPromise
      const exchange = () => client.exchangeCode({ code: Redacted.make(CODE), redirectUri: REDIRECT_URI })
      return effectRunner(runtime, exchange)(calls, inFlight)
    },
    close: () => runtime.dispose()
  }
}

export const oursFetch = (base: string) =>
  ours("ours-fetch", "ultracart-oauth, FetchTransport", base, FetchTransport.layer())
export const oursUndici = (base: string) =>
  ours("ours-undici", "ultracart-oauth, NodeTransport.layer (undici, default)", base, NodeTransport.layer())
export const oursUndiciTimed = (base: string) =>
  ours(
    "ours-undici-timed",
    "ultracart-oauth, NodeTransport.layer, with Timeouts' 10 s deadlines",
    base,
    NodeTransport.layer(),
    Timeouts.defaults
  )
export const oursNodeHttp = (base: string) =>
  ours("ours-node-http", "ultracart-oauth, NodeTransport.layerNodeHttp", base, NodeTransport.layerNodeHttp())

export const all: ReadonlyArray<(base: string) => BenchClient> = [
  nodeHttpFloor,
  rawFetch,
  rawFetchWithSignal,
  oauth4webapi,
  simpleOAuth2,
  effectFetch,
  oursFetch,
  oursUndici,
  oursUndiciTimed,
  oursNodeHttp
]
