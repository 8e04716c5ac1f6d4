/**
 * Redaction end to end: every example runs in this process with logging at the most verbose level
 * (`LogLevel.All`) — the programs, the merchant-connections module, and the adapters' paths no example takes
 * (device flow outcomes, a grant lost to refresh-token reuse) — and everything it could print is captured — the console, every log line in string, logfmt
 * and JSON form (annotations, spans and causes included), raw writes to stdout and stderr, and every span's
 * name, attributes, events and failure. The test fails if a secret appears anywhere in that.
 *
 * The secrets are every value the program put in a `Redacted` (tokens and codes the fake issued, states, device
 * codes, encryption keys, the made-up tokens of the error example), recorded through Effect's registry of
 * redacted values, and anything shaped like a token of the fake (`uc_at_…`, `uc_rt_…`, `uc_dc_…`, `uc_code_…`).
 * The examples' `NodeRuntime.runMain` is replaced by a recorder, so each program is run here as it would run.
 * Not here: `redis-workers` (several processes and a redis-server of their own), which
 * `packages/redis/test/Example.test.ts` runs.
 */
import { describe, expect, it } from "@effect/vitest"
import { DeviceFlow, TokenManager, TokenStore } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { Cause, Effect, Exit, Fiber, Layer, Logger, LogLevel, Option, Redacted, TestClock, Tracer } from "effect"
import { vi } from "vitest"
import * as MerchantConnections from "../src/merchant-connections.js"

const runtime = vi.hoisted(() => ({ programs: [] as Array<unknown> }))
vi.mock("@effect/platform-node/NodeRuntime", () => ({
  runMain: (program: unknown) => {
    runtime.programs.push(program)
  }
}))

type Program = Effect.Effect<unknown, unknown>

/** The examples, each imported once: importing one hands its program to the recorded `runMain`. */
const examples = {
  lifecycle: () => import("../src/lifecycle.js"),
  errors: () => import("../src/errors.js"),
  "long-running": () => import("../src/long-running.js")
}
const programs = new Map<keyof typeof examples, Program>()

const programOf = (name: keyof typeof examples): Effect.Effect<Program> =>
  Effect.promise(async () => {
    const known = programs.get(name)
    if (known !== undefined) return known
    const before = runtime.programs.length
    await examples[name]()
    const program = runtime.programs[before]
    if (!Effect.isEffect(program)) throw new Error(`${name} did not hand a program to NodeRuntime.runMain`)
    programs.set(name, program as Program)
    return program as Program
  })

/** Every value made `Redacted` from now on, through Effect's global registry of redacted values. */
const recordRedactedValues = (): { readonly values: Set<string>; readonly stop: () => void } => {
  const store = (globalThis as Record<string, unknown>)["effect/GlobalValue"]
  const registry = store instanceof Map ? store.get("effect/Redacted/redactedRegistry") : undefined
  if (!(registry instanceof WeakMap)) throw new Error("Effect's registry of redacted values was not found")
  const values = new Set<string>()
  const set = registry.set
  registry.set = function (this: WeakMap<object, unknown>, key: object, value: unknown) {
    if (typeof value === "string") values.add(value)
    return set.call(this, key, value)
  }
  return { values, stop: () => void delete (registry as { set?: unknown }).set }
}

/**
 * What a program printed or exported, as text: the program's own output, and apart from it the spans of the
 * fake UltraCart's loopback HTTP server (test tooling, not the client library: checked by a test of its own).
 */
interface Captured {
  readonly texts: Array<string>
  readonly fakeServerSpans: Array<string>
  readonly levels: Set<string>
}

/** A tracer that turns every span into text: name, attributes, events and a failure's cause. */
const recordingTracer = (captured: Captured): Tracer.Tracer => {
  let ids = 0
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const texts = kind === "server" ? captured.fakeServerSpans : captured.texts
      texts.push(name)
      const id = String(++ids)
      const attributes = new Map<string, unknown>()
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: id,
        traceId: Option.match(parent, { onNone: () => id, onSome: (p) => p.traceId }),
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
          if (Exit.isFailure(exit)) texts.push(`span ${name} (${kind}) failed: ${Cause.pretty(exit.cause)}`)
        },
        attribute: (key, value) => {
          attributes.set(key, value)
          texts.push(`span ${name} (${kind}): ${key}=${String(value)}`)
        },
        event: (event, _time, eventAttributes) =>
          texts.push(`span ${name} (${kind}) event: ${event} ${JSON.stringify(eventAttributes ?? {})}`),
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
}

/**
 * Runs a program with every log level on and everything it prints captured; fails when it fails. `drive`, when
 * given, runs beside it (to move the TestClock).
 */
const runCaptured = (program: Program, drive?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const captured: Captured = { texts: [], fakeServerSpans: [], levels: new Set() }
    const logger = Logger.make((options) => {
      captured.levels.add(options.logLevel.label)
      captured.texts.push(
        Logger.stringLogger.log(options),
        Logger.logfmtLogger.log(options),
        Logger.jsonLogger.log(options)
      )
    })
    const print = (...args: Array<unknown>) =>
      void captured.texts.push(
        args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" ")
      )
    const spies = [
      ...(["log", "info", "warn", "error", "debug", "trace", "dir"] as const).map((method) =>
        vi.spyOn(console, method).mockImplementation(print)
      ),
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (print(String(chunk)), true)),
      vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (print(String(chunk)), true))
    ]
    const exit = yield* Effect.gen(function* () {
      const fiber = yield* Effect.fork(program)
      if (drive !== undefined) yield* drive(fiber)
      return yield* Fiber.await(fiber)
    }).pipe(
      Effect.provide(Layer.merge(Logger.add(logger), Logger.minimumLogLevel(LogLevel.All))),
      Effect.withTracer(recordingTracer(captured)),
      Effect.ensuring(
        Effect.sync(() => {
          for (const spy of spies) spy.mockRestore()
        })
      )
    )
    if (Exit.isFailure(exit)) captured.texts.push(Cause.pretty(exit.cause))
    return { captured, exit }
  })

/** The fake's tokens and codes: a readable prefix, then 32 random base64url characters. */
const fakeSecretShape = /uc_(?:at|rt|dc|code)_[A-Za-z0-9_-]{6,}/

/** Each secret found in the texts, with the text it appeared in (cut short); and each text with a fake token. */
const leaksIn = (texts: ReadonlyArray<string>, secrets: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...secrets.flatMap((secret) =>
    texts
      .filter((text) => text.includes(secret))
      .slice(0, 2)
      .map((text) => {
        const at = text.indexOf(secret)
        return `${secret} in: …${text.slice(Math.max(0, at - 200), at + secret.length + 100)}…`
      })
  ),
  ...texts.filter((text) => fakeSecretShape.test(text)).map((text) => `a fake token in: ${text.slice(0, 400)}`)
]

/**
 * Runs an example with its redacted values recorded and every log level on; checks that it succeeded, that the
 * capture saw its output and debug logs, and that no secret appears in what it printed or traced.
 */
const runExample = (
  example: keyof typeof examples | Program,
  drive?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const program = typeof example === "string" ? yield* programOf(example) : example
    const redacted = recordRedactedValues()
    const { captured, exit } = yield* runCaptured(program, drive).pipe(Effect.ensuring(Effect.sync(redacted.stop)))
    const output = captured.texts.join("\n")
    expect(Exit.isSuccess(exit), output).toBe(true)
    // A silent run would prove nothing: the example's own lines and the library's debug logs were captured.
    expect(captured.texts.length).toBeGreaterThan(10)
    expect(captured.levels.has("DEBUG"), `log levels seen: ${[...captured.levels].join(", ")}`).toBe(true)
    // Left out: empty and very short values (`Redacted.make("")` would match everywhere), and human text with
    // spaces (a `UC-REST-ERROR` header is redacted in the client's spans as a precaution, then shown scrubbed in
    // the error's message, which is its purpose).
    const secrets = [...redacted.values].filter((value) => value.trim().length >= 6 && !/\s/.test(value))
    expect(leaksIn(captured.texts, secrets)).toEqual([])
    return { captured, output, secrets }
  })

/** Moves the TestClock in small steps while the program's real sockets and files get time to work. */
const driveClock = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<void> =>
  Effect.gen(function* () {
    while (Option.isNone(yield* Fiber.poll(fiber))) {
      yield* TestClock.adjust("50 millis")
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
  })

/**
 * The adapters' paths that no example takes, on the in-memory fake and the TestClock: a device flow through
 * pending, slow_down and a 503 to approval, one denied and one expired; then the token manager's grant dying
 * (its refresh token replayed elsewhere, so UltraCart revokes the family) and a logout.
 */
const adapterPaths: Program = Effect.gen(function* () {
  const fake = yield* FakeUltraCart.FakeUltraCart
  const slowDown = Fault.respond({
    status: 400,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: "slow_down" })
  })
  const flow = yield* DeviceFlow.start({ scope: "crm" })
  const approved = yield* Effect.fork(DeviceFlow.poll(flow))
  yield* fake.injectFault(slowDown, { endpoint: "token" })
  yield* TestClock.adjust("15 seconds")
  yield* fake.injectFault(Fault.serverError({ status: 503 }), { endpoint: "token" })
  yield* TestClock.adjust("10 seconds")
  yield* fake.approveDevice(flow.userCode)
  yield* TestClock.adjust("1 minute")
  const tokens = yield* Fiber.join(approved)

  const deniedFlow = yield* DeviceFlow.start({ scope: "crm" })
  const denied = yield* Effect.fork(Effect.flip(DeviceFlow.poll(deniedFlow)))
  yield* fake.denyDevice(deniedFlow.userCode)
  yield* TestClock.adjust("1 minute")
  expect((yield* Fiber.join(denied))._tag).toBe("DeviceAuthorizationDenied")
  const expiring = yield* DeviceFlow.start({ scope: "crm" })
  const expired = yield* Effect.fork(Effect.flip(DeviceFlow.poll(expiring)))
  yield* TestClock.adjust("20 minutes")
  expect((yield* Fiber.join(expired))._tag).toBe("DeviceAuthorizationExpired")

  const manager = yield* TokenManager.TokenManager
  const client = yield* OAuthClient.OAuthClient
  const stored = yield* manager.login(Effect.succeed(tokens))
  // Someone else uses the same refresh token first: the manager's refresh presents a retired one.
  yield* client.refresh({ refreshToken: Option.getOrThrow(stored.refreshToken) })
  const lost = yield* Effect.flip(manager.refresh)
  expect(lost._tag).toBe("ReauthorizationRequired")
  yield* manager.logout
}).pipe(
  Effect.provide(
    TokenManager.layer({ key: "DEMO" }).pipe(
      Layer.provideMerge(TokenStore.layerMemory),
      Layer.provideMerge(FakeUltraCart.clientLayer()),
      Layer.provideMerge(FakeUltraCart.layer({ deviceInterval: "5 seconds" }))
    )
  )
)

/** The merchant-connections example (a module, not a program): connect, a forged callback, a failed revoke. */
const merchantConnections: Program = Effect.gen(function* () {
  const connections = yield* MerchantConnections.MerchantConnections
  const client = yield* OAuthClient.OAuthClient
  const fake = yield* FakeUltraCart.FakeUltraCart
  const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  const callback = yield* fake.approve(url)
  const forged = yield* Effect.flip(
    connections.connect(callback, Redacted.make("forged-state-0123456789"), redirectUri)
  )
  expect(forged._tag).toBe("StateMismatch")
  yield* connections.connect(callback, state, redirectUri)
  yield* fake.injectFault(Fault.serverError({ status: 503 }), { endpoint: "revoke" })
  yield* connections.disconnect("DEMO1")
}).pipe(
  Effect.provide(
    MerchantConnections.layer.pipe(
      Layer.provideMerge(FakeUltraCart.clientLayer()),
      Layer.provideMerge(FakeUltraCart.layer({ merchantId: "DEMO1" }))
    )
  )
)

describe("no example prints a secret, with every log level on", () => {
  it.live("lifecycle: authorize, callback, exchange, refresh, me, revoke, refresh after revoke", () =>
    Effect.gen(function* () {
      const { secrets } = yield* runExample("lifecycle")
      // The recorder saw the secrets it is meant to guard: the fake's code and tokens, and the state.
      for (const kind of ["uc_code_", "uc_at_", "uc_rt_"])
        expect(
          secrets.some((s) => s.startsWith(kind)),
          kind
        ).toBe(true)
      expect(
        secrets.some((s) => /^[A-Za-z0-9_-]{43}$/.test(s)),
        "a state"
      ).toBe(true)
    })
  )

  it.live(
    "errors: each typed failure (reused code, 429, 503, dropped connection, bad JSON, forged and denied callbacks)",
    () =>
      Effect.gen(function* () {
        const { output, secrets } = yield* runExample("errors")
        expect(secrets).toEqual(expect.arrayContaining(["not-a-token"]))
        for (const kind of ["uc_code_", "uc_at_", "uc_rt_"])
          expect(
            secrets.some((s) => s.startsWith(kind)),
            kind
          ).toBe(true)
        for (const tag of [
          "InvalidGrant",
          "RateLimited",
          "ServerError",
          "TransportError",
          "MalformedResponse",
          "InvalidInput",
          "Unauthorized",
          "StateMismatch",
          "AuthorizationDenied"
        ]) {
          expect(output).toContain(tag)
        }
      })
  )

  it.effect(
    "long-running: token manager, file store, dropped refresh, clock skew, rate limit and logout (on the TestClock)",
    () =>
      Effect.gen(function* () {
        const { output, secrets } = yield* runExample("long-running", driveClock)
        // Tokens rotated several times, the store's key was guarded too, and every trouble was played.
        expect(secrets.filter((s) => s.startsWith("uc_rt_")).length).toBeGreaterThan(2)
        for (const trouble of ["loses its connection", "clock jumps", "rate limited", "Logged out"])
          expect(output).toContain(trouble)
      }),
    30_000
  )

  it.effect(
    "adapters: device flow (slow_down, 503, approval, denial, expiry), a grant lost to refresh-token reuse, logout",
    () =>
      Effect.gen(function* () {
        const { output, secrets } = yield* runExample(adapterPaths)
        for (const kind of ["uc_dc_", "uc_at_", "uc_rt_"])
          expect(
            secrets.some((s) => s.startsWith(kind)),
            kind
          ).toBe(true)
        expect(output).toContain("ReauthorizationRequired")
      }),
    30_000
  )

  it.effect("merchant-connections: connect, a forged callback, disconnect with a failing revoke", () =>
    Effect.gen(function* () {
      const { output, secrets } = yield* runExample(merchantConnections)
      expect(secrets).toEqual(expect.arrayContaining(["forged-state-0123456789"]))
      for (const kind of ["uc_code_", "uc_at_", "uc_rt_"])
        expect(
          secrets.some((s) => s.startsWith(kind)),
          kind
        ).toBe(true)
      expect(output).toContain("ServerError")
    })
  )

  it.live("the fake UltraCart's loopback server puts no secret in its own spans", () =>
    Effect.gen(function* () {
      const { captured, secrets } = yield* runExample("lifecycle")
      expect(leaksIn(captured.fakeServerSpans, secrets)).toEqual([])
    })
  )
})
