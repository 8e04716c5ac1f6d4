import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { FakeHttpOutcome, FakeHttpRequest, FakeHttpResponse } from "../FakeHttp.js"
import type { ClientRegistration, FakeUltraCartOptions, FakeUltraCartService, FaultMatch } from "./model.js"
import type { Fault, RetryAfter } from "../Fault.js"
import type { FakeEndpoint, RecordedRequest, RequestFilter } from "../RecordedRequest.js"
import { secretText } from "./clients.js"
import { OAuthServer, type ParsedRequest } from "./oauthServer.js"
import { isRestPath } from "./rest.js"
import { applySettings } from "./settings.js"
import { errorResponse, gatewayPage, tokenJson } from "./wire.js"

/** A recorded request while the server works on it (status and fault are filled in at the end). */
interface MutableRecord extends RecordedRequest {
  status: number | undefined
  fault: string | undefined
}

interface FaultRule {
  readonly fault: Fault
  readonly endpoints: ReadonlyArray<FakeEndpoint> | undefined
  readonly grantType: string | undefined
  readonly when: ((request: RecordedRequest) => boolean) | undefined
  remaining: number
}

/** The request being handled: parsed once, shared by fault matching and processing. */
interface Exchange {
  readonly parsed: ParsedRequest
  readonly record: MutableRecord
}

type Routed = { readonly path: string; readonly endpoint: FakeEndpoint }

const endpointsByPath: Record<string, FakeEndpoint> = {
  "/oauth/token": "token",
  "/oauth/revoke": "revoke",
  "/oauth/device/authorize": "device_authorize",
  "/oauth/me": "me",
  "/oauth/authorize": "authorize"
}

const emptyRecord: Readonly<Record<string, string>> = Object.freeze({})

const parseForm = (body: string): { form: Record<string, string>; repeated: string | undefined } => {
  const form: Record<string, string> = {}
  let repeated: string | undefined
  for (const [key, value] of new URLSearchParams(body)) {
    // RFC 6749 App. B / §3.2: a parameter without a value counts as omitted.
    if (value === "") continue
    if (key in form) repeated ??= key
    else form[key] = value
  }
  return { form, repeated }
}

const isForm = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")

/**
 * The fake as a server: intake (routing, form parsing, recording, counting), scripted faults, and the service's
 * controls. UltraCart's rules themselves live in `OAuthServer`.
 */
export class Engine {
  readonly baseUrl: string
  private readonly basePath: string
  private readonly server: OAuthServer
  private readonly records: Array<MutableRecord> = []
  private readonly counts = new Map<string, number>()
  private rules: Array<FaultRule> = []
  private sequence = 0
  /** `sequence` when requests were last cleared. */
  private countBase = 0

  readonly service: FakeUltraCartService

  constructor(
    options: FakeUltraCartOptions & { readonly baseUrl: string; readonly clients: ReadonlyArray<ClientRegistration> },
    private readonly clock: Clock.Clock
  ) {
    this.baseUrl = options.baseUrl
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, "")
    this.server = new OAuthServer(this.baseUrl, options, clock)
    this.service = this.makeService()
  }

  private now(): number {
    return this.server.now()
  }

  handle(request: FakeHttpRequest): Effect.Effect<FakeHttpOutcome> {
    return Effect.suspend(() => {
      const exchange = this.receive(request)
      const fault = this.rules.length === 0 ? undefined : this.takeFault(exchange.record)
      if (fault === undefined) return this.answer(exchange, this.server.process(exchange.parsed))
      exchange.record.fault = fault._tag
      return this.applyFault(exchange, fault)
    })
  }

  private route(url: URL): Routed {
    const full = url.pathname
    const path = full.startsWith(this.basePath) ? full.slice(this.basePath.length) || "/" : full
    const endpoint = full.startsWith(this.basePath)
      ? (endpointsByPath[path] ?? (isRestPath(path) ? "rest" : "unknown"))
      : "unknown"
    return { path, endpoint }
  }

  private receive(request: FakeHttpRequest): Exchange {
    const { endpoint, path } = this.route(request.url)
    const body = isForm(request.headers["content-type"]) ? parseForm(request.body) : undefined
    const form = body?.form
    const grantType = endpoint === "token" ? form?.["grant_type"] : undefined
    const record: MutableRecord = {
      sequence: ++this.sequence,
      receivedAt: this.now(),
      method: request.method,
      path,
      endpoint,
      grantType,
      headers: request.headers,
      query: request.url.search === "" ? emptyRecord : Object.fromEntries(request.url.searchParams),
      form: form ?? emptyRecord,
      body: request.body,
      status: undefined,
      fault: undefined
    }
    if (this.server.settings.recordRequests) this.records.push(record)
    this.count(endpoint)
    if (grantType !== undefined) this.count(`${endpoint} ${grantType}`)
    const parsed: ParsedRequest = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      path,
      endpoint,
      form,
      repeated: body?.repeated
    }
    return { parsed, record }
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  private takeFault(record: RecordedRequest): Fault | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]
      if (rule === undefined) break
      if (rule.endpoints !== undefined && !rule.endpoints.includes(record.endpoint)) continue
      if (rule.grantType !== undefined && rule.grantType !== record.grantType) continue
      if (rule.when !== undefined && !rule.when(record)) continue
      rule.remaining -= 1
      if (rule.remaining <= 0) this.rules.splice(i, 1)
      return rule.fault
    }
    return undefined
  }

  /** Stamps the answer with the server's `Date`, records it, and logs it (method, path, status: nothing secret). */
  private finish(exchange: Exchange, response: FakeHttpResponse): FakeHttpResponse {
    exchange.record.status = response.status
    return { ...response, headers: { ...response.headers, date: new Date(this.now()).toUTCString() } }
  }

  private log(exchange: Exchange, outcome: FakeHttpOutcome): Effect.Effect<FakeHttpOutcome> {
    const { record } = exchange
    return Effect.as(
      Effect.annotateLogs(Effect.logDebug("fake UltraCart request"), {
        method: record.method,
        path: record.path,
        status: record.status ?? "dropped",
        ...(record.grantType !== undefined ? { grant_type: record.grantType } : {}),
        ...(record.fault !== undefined ? { fault: record.fault } : {})
      }),
      outcome
    )
  }

  private answer(exchange: Exchange, response: FakeHttpResponse): Effect.Effect<FakeHttpOutcome> {
    return this.log(exchange, { _tag: "Respond", response: this.finish(exchange, response) })
  }

  private applyFault(exchange: Exchange, fault: Fault): Effect.Effect<FakeHttpOutcome> {
    switch (fault._tag) {
      case "Delay":
        return Effect.zipRight(
          this.clock.sleep(fault.duration),
          Effect.suspend(() =>
            fault.then === undefined
              ? this.answer(exchange, this.server.process(exchange.parsed))
              : this.applyFault(exchange, fault.then)
          )
        )
      case "DropConnection": {
        if (fault.phase === "BeforeProcessing") return this.log(exchange, { _tag: "Drop" })
        const response = this.server.process(exchange.parsed)
        if (fault.phase === "AfterProcessing") return this.log(exchange, { _tag: "Drop" })
        return this.log(exchange, { _tag: "Truncate", response: this.finish(exchange, response) })
      }
      case "RateLimited":
        return this.answer(
          exchange,
          errorResponse(429, "rate_limit", "Rate limit exceeded. Please slow down.", this.retryAfter(fault.retryAfter))
        )
      case "ServerError": {
        const headers = this.retryAfter(fault.retryAfter)
        return this.answer(
          exchange,
          fault.status >= 502 && fault.status <= 504
            ? gatewayPage(fault.status, headers)
            : errorResponse(fault.status, "internal_error", "An internal server error occurred.", headers)
        )
      }
      case "OAuthErrorWithOk":
        return this.answer(
          exchange,
          tokenJson(200, {
            error: fault.error,
            ...(fault.description !== undefined ? { error_description: fault.description } : {})
          })
        )
      case "JsonAsTextPlain": {
        const response = this.server.process(exchange.parsed)
        return this.answer(exchange, {
          ...response,
          headers: { ...response.headers, "content-type": "text/plain; charset=UTF-8" }
        })
      }
      case "MalformedJson": {
        const response = this.server.process(exchange.parsed)
        return this.answer(exchange, { ...response, body: response.body.slice(0, Math.ceil(response.body.length / 2)) })
      }
      case "Respond":
        return this.answer(exchange, { status: fault.status, headers: fault.headers, body: fault.body })
    }
  }

  private retryAfter(retryAfter: RetryAfter | undefined): Record<string, string> {
    if (retryAfter === undefined) return {}
    switch (retryAfter._tag) {
      case "Seconds":
        return { "retry-after": String(retryAfter.seconds) }
      case "HttpDate":
        return { "retry-after": new Date(this.now() + Duration.toMillis(retryAfter.after)).toUTCString() }
      case "Raw":
        return { "retry-after": retryAfter.value }
    }
  }

  private clearRequests(): void {
    this.records.length = 0
    this.counts.clear()
    this.countBase = this.sequence
  }

  private makeService(): FakeUltraCartService {
    const server = this.server
    return {
      baseUrl: this.baseUrl,
      registerClient: (client) => Effect.sync(() => server.registerClient(client)),
      configure: (settings) => Effect.sync(() => void (server.settings = applySettings(server.settings, settings))),
      approve: (input, grant = {}) => server.decideInput(input, { _tag: "Approve", ...grant }),
      deny: (input, description) => server.decideInput(input, { _tag: "Deny", description }),
      expire: (input) => server.decideInput(input, { _tag: "Expire" }),
      setAuthorizeDecision: (decision) =>
        Effect.sync(() => void (server.settings = { ...server.settings, authorizeDecision: decision })),
      issueTokens: (input) => server.issueTokens(input),
      approveDevice: (userCode, grant = {}) => server.approveDevice(userCode, grant),
      denyDevice: (userCode) => server.denyDevice(userCode),
      deviceAuthorizations: Effect.sync(() => server.deviceAuthorizations()),
      revoke: (token) => Effect.sync(() => server.revokeToken(secretText(token))),
      inspectToken: (token) => Effect.sync(() => server.tokenInfo(secretText(token))),
      requests: Effect.sync(() => this.records.slice()),
      requestCount: (filter?: RequestFilter) =>
        Effect.sync(() => {
          const key =
            filter?.grantType !== undefined ? `${filter.endpoint ?? "token"} ${filter.grantType}` : filter?.endpoint
          if (key !== undefined) return this.counts.get(key) ?? 0
          return this.sequence - this.countBase
        }),
      clearRequests: Effect.sync(() => this.clearRequests()),
      reset: Effect.sync(() => {
        this.clearRequests()
        this.rules = []
        server.reset()
      }),
      injectFault: (fault, match: FaultMatch = {}) =>
        Effect.sync(() => {
          const endpoint = match.endpoint
          this.rules.push({
            fault,
            endpoints: endpoint === undefined ? undefined : typeof endpoint === "string" ? [endpoint] : endpoint,
            grantType: match.grantType,
            when: match.when,
            remaining: match.times ?? 1
          })
        }),
      clearFaults: Effect.sync(() => void (this.rules = [])),
      pendingFaults: Effect.sync(() => this.rules.length),
      setClockOffset: (offset) => Effect.sync(() => void (server.clockOffset = offset)),
      now: Effect.sync(() => this.now()),
      handle: (request) => this.handle(request)
    }
  }
}
