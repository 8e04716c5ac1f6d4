/**
 * The transport-neutral request and answer the fake server works on. The in-memory `HttpClient` and the loopback
 * HTTP server both translate to and from these, so they share one implementation.
 *
 * @since 0.1.0
 */

/**
 * A request as the server receives it.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeHttpRequest {
  readonly method: string
  readonly url: URL
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * An answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeHttpResponse {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * What the transport must do: answer, drop the connection without answering, or send the head and part of the
 * body before dropping.
 *
 * @since 0.1.0
 * @category models
 */
export type FakeHttpOutcome =
  | { readonly _tag: "Respond"; readonly response: FakeHttpResponse }
  | { readonly _tag: "Drop" }
  | { readonly _tag: "Truncate"; readonly response: FakeHttpResponse }
