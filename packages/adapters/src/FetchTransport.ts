/**
 * The Fetch transport: `fetch` as the `HttpClient`, for Node (where `fetch` is undici), Deno, Bun, browsers and
 * workers. It imports nothing from Node.
 *
 * Keep-alive is on by default: every runtime's `fetch` pools connections, so token calls after the first skip the
 * TCP and TLS handshakes. (This is not the `keepalive` flag of `RequestInit`, which is about outliving a page.)
 *
 * @since 0.1.0
 */
import { FetchHttpClient, type HttpClient } from "@effect/platform"
import { Layer } from "effect"

/**
 * `RequestInit` members applied to every request. On Node, `dispatcher` takes your own undici `Agent`, `Pool` or
 * `ProxyAgent`; elsewhere it is ignored. Method, headers, body and signal belong to each request and cannot be
 * set here.
 *
 * @since 0.1.0
 * @category models
 */
export type FetchRequestInit = Omit<globalThis.RequestInit, "method" | "headers" | "body" | "signal"> & {
  readonly dispatcher?: object | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FetchTransportOptions {
  /** The `fetch` to use; defaults to `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Applied under each request's own settings. */
  readonly requestInit?: FetchRequestInit | undefined
}

/**
 * The `HttpClient` over `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: FetchTransportOptions = {}): Layer.Layer<HttpClient.HttpClient> => {
  const { requestInit } = options
  if (options.fetch === undefined && requestInit === undefined) return FetchHttpClient.layer
  const base = options.fetch ?? globalThis.fetch
  // Through `Fetch` rather than the `RequestInit` tag: a caller's `RequestInit` (the OAuth client sets
  // `redirect: "manual"`) replaces the tag's value wholesale, but it is merged over these defaults here.
  const fetch: typeof globalThis.fetch = requestInit === undefined
    ? base
    : (input, init) => base(input, { ...requestInit, ...init })
  return Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetch))
}
