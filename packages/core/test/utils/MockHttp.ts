/**
 * A recording, scriptable `HttpClient` for core's tests: every request the client sends is recorded (method,
 * URL, headers, body), and each one is answered by the next scripted reply (the last reply repeats).
 */
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Context, Effect, Layer, Ref } from "effect"

/** A request as it would go on the wire. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body's form fields, in order, decoded. */
  readonly form: ReadonlyArray<readonly [string, string]>
}

/** One scripted answer to a request. */
export type Reply = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/** The recorder, to read what was sent. */
export class MockHttp extends Context.Tag("core-test/MockHttp")<
  MockHttp,
  {
    readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  }
>() {}

const decoder = new TextDecoder()

const record = (request: HttpClientRequest.HttpClientRequest, url: URL): RecordedRequest => {
  const body = request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : ""
  return {
    method: request.method,
    url: url.toString(),
    headers: { ...request.headers },
    body,
    form: [...new URLSearchParams(body)]
  }
}

/**
 * The mock transport as a Layer providing `HttpClient.HttpClient` and the `MockHttp` recorder. With no reply
 * scripted, every request is answered 500.
 */
export const layer = (...replies: ReadonlyArray<Reply>): Layer.Layer<HttpClient.HttpClient | MockHttp> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const recorded = yield* Ref.make<ReadonlyArray<RecordedRequest>>([])
      const script = yield* Ref.make(replies)
      const client = HttpClient.make((request, url) =>
        Effect.gen(function* () {
          yield* Ref.update(recorded, (all) => [...all, record(request, url)])
          const reply = yield* Ref.modify(script, (rest) => [rest[0], rest.length > 1 ? rest.slice(1) : rest])
          return yield* (reply ?? status(500))(request)
        })
      )
      return Context.make(HttpClient.HttpClient, client).pipe(Context.add(MockHttp, { requests: Ref.get(recorded) }))
    })
  )

/** The requests sent so far. */
export const requests: Effect.Effect<ReadonlyArray<RecordedRequest>, never, MockHttp> = Effect.flatMap(
  MockHttp,
  (mock) => mock.requests
)

/** The one request sent so far (fails the test when there is not exactly one). */
export const onlyRequest: Effect.Effect<RecordedRequest, never, MockHttp> = Effect.flatMap(requests, (all) =>
  all.length === 1 && all[0] !== undefined
    ? Effect.succeed(all[0])
    : Effect.dieMessage(`expected exactly one request, got ${all.length}`)
)

// -----------------------------------------------------------------------------
// Replies
// -----------------------------------------------------------------------------

/** Answers with a web `Response` built per request. */
export const respond =
  (make: () => Response): Reply =>
  (request) =>
    Effect.sync(() => HttpClientResponse.fromWeb(request, make()))

/** A body sent as-is, with headers. */
export const text = (status: number, body: string, headers: Record<string, string> = {}): Reply =>
  respond(() => new Response(status === 204 || status === 304 ? null : body, { status, headers }))

/** A JSON body (`application/json` unless `headers` says otherwise). */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  text(status, JSON.stringify(body), { "content-type": "application/json", ...headers })

/** An empty body. */
export const status = (code: number, headers: Record<string, string> = {}): Reply => text(code, "", headers)

/** A transport failure shaped like fetch's: `TypeError("fetch failed")` wrapping a system error with `code`. */
export const transportFailure =
  (code: string | undefined, message = "socket trouble"): Reply =>
  (request) =>
    Effect.fail(
      new HttpClientError.RequestError({
        request,
        reason: "Transport",
        cause: new TypeError("fetch failed", {
          cause: code === undefined ? new Error(message) : Object.assign(new Error(`${message} ${code}`), { code })
        })
      })
    )

/** A server that never answers. */
export const hang: Reply = () => Effect.never

/** A response head whose body never arrives. */
export const stalledBody = (code: number): Reply =>
  respond(() => new Response(new ReadableStream({ pull: () => new Promise<void>(() => {}) }), { status: code }))

/** A response head whose body breaks off with an error. */
export const brokenBody = (code: number, message = "connection reset"): Reply =>
  respond(
    () =>
      new Response(
        new ReadableStream({
          pull: (controller) => controller.error(Object.assign(new Error(message), { code: "ECONNRESET" }))
        }),
        { status: code }
      )
  )
