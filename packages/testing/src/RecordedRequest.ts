/**
 * What the fake server saw: every request, in order, for tests to inspect. Recorded requests hold the secrets
 * they carried (tokens, codes, keys) because assertions need them; the server's own logs never do.
 *
 * @since 0.1.0
 */

/**
 * The fake's endpoints: core's four, the browser leg's `authorize`, `rest` for the REST API's order endpoints
 * (see `FakeRest`; since 0.2.0), and `unknown` for anything else.
 *
 * @since 0.1.0
 * @category models
 */
export type FakeEndpoint = "token" | "revoke" | "device_authorize" | "me" | "authorize" | "rest" | "unknown"

/**
 * One request as received.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  /** 1, 2, 3… in arrival order. */
  readonly sequence: number
  /** Server time (epoch milliseconds, clock offset included) at arrival. */
  readonly receivedAt: number
  readonly method: string
  /** The path below the base URL, e.g. `/oauth/token`. */
  readonly path: string
  readonly endpoint: FakeEndpoint
  /** `grant_type` of a token request. */
  readonly grantType: string | undefined
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, string>>
  /** The form body's fields (the first value of each); empty when the body is not a form. */
  readonly form: Readonly<Record<string, string>>
  readonly body: string
  /** The status answered, or `undefined` while in flight or when the connection was dropped. */
  readonly status: number | undefined
  /** The `_tag` of the fault applied, if any. */
  readonly fault: string | undefined
}

/**
 * Selects requests: every given member must match.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestFilter {
  readonly endpoint?: FakeEndpoint | undefined
  readonly grantType?: string | undefined
}
