/**
 * Node transports, with keep-alive on by default. Import this module by its own path
 * (`@ultracart-oauth/adapters/NodeTransport`): it loads undici and `node:http`, which the package index and the
 * Fetch path never do.
 *
 * Why this exists: `NodeHttpClient.layer` as shipped creates a `node:http` agent without keep-alive, which sends
 * `Connection: close`, so every token call would pay a new TCP and TLS handshake.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer } from "effect"
import type * as Http from "node:http"
import type * as Https from "node:https"

/**
 * @since 0.1.0
 * @category models
 */
export interface UndiciOptions {
  /** Your own dispatcher (an undici `Agent`, `Pool`, `ProxyAgent`…). You own it: the Layer does not close it. */
  readonly dispatcher?: Undici.Dispatcher | undefined
  /** Options for the `Agent` the Layer creates (and destroys with its scope) when no dispatcher is given. */
  readonly agent?: Undici.Agent.Options | undefined
}

/**
 * The `HttpClient` over undici (the recommended Node transport). undici keeps connections alive by default
 * (idle sockets are kept 4 s unless the server says otherwise; tune with `agent.keepAliveTimeout`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: UndiciOptions = {}): Layer.Layer<HttpClient.HttpClient> => {
  const { agent, dispatcher } = options
  const dispatcherLayer = dispatcher !== undefined
    ? Layer.succeed(NodeHttpClient.Dispatcher, dispatcher)
    : Layer.scoped(
      NodeHttpClient.Dispatcher,
      Effect.acquireRelease(
        Effect.sync((): Undici.Dispatcher => new Undici.Agent(agent)),
        (created) => Effect.promise(() => created.destroy())
      )
    )
  return Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher, dispatcherLayer)
}

/**
 * @since 0.1.0
 * @category models
 */
export interface NodeHttpOptions {
  /** Your own `node:http` / `node:https` agents. You own them: the Layer does not destroy them. */
  readonly agents?: { readonly http: Http.Agent; readonly https: Https.Agent } | undefined
  /** Options for the agents the Layer creates when none are given; `keepAlive` defaults to `true`. */
  readonly agent?: Https.AgentOptions | undefined
}

/**
 * The `HttpClient` over `node:http` / `node:https`, with keep-alive on unless `agent.keepAlive` is `false`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNodeHttp = (options: NodeHttpOptions = {}): Layer.Layer<HttpClient.HttpClient> => {
  const { agent, agents } = options
  const agentLayer = agents !== undefined
    ? Layer.succeed(NodeHttpClient.HttpAgent, { [NodeHttpClient.HttpAgentTypeId]: NodeHttpClient.HttpAgentTypeId, ...agents })
    : NodeHttpClient.makeAgentLayer({ keepAlive: true, ...agent })
  return Layer.provide(NodeHttpClient.layerWithoutAgent, agentLayer)
}
