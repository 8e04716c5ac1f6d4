/**
 * A fake UltraCart OAuth server for tests: registered apps, the consent step, single-use codes, rotating
 * refresh tokens with reuse detection, revocation, the device flow and `/oauth/me` — with every request
 * recorded and faults on demand.
 *
 * One implementation, two ways in: {@link layer} answers through an in-memory `HttpClient` (no sockets), and
 * `FakeUltraCartServer.layer` (a separate, Node-only module) serves the same fake on a loopback port.
 * The fake's time is the `Clock` of the context its Layer is built in, so a `TestClock` drives code, token and
 * device-code expiry, device polling intervals and `Fault.delay`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Engine } from "./internal/engine.js"
import { connectionReset, InMemoryResponse } from "./internal/inMemoryResponse.js"
import type { ClientRegistration, FakeUltraCartOptions, FakeUltraCartService } from "./internal/model.js"

/**
 * The base URL the in-memory fake answers on (`.test` is a reserved top-level domain: nothing real lives there).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://ultracart.fake.test/rest/v2"

export type {
  /**
   * The authorize request a control acts on: the authorize URL, or its parameters.
   *
   * @since 0.1.0
   * @category models
   */
  AuthorizeInput,
  /**
   * An app registered with the fake.
   *
   * @since 0.1.0
   * @category models
   */
  ClientRegistration,
  /**
   * A device authorization as the fake tracks it.
   *
   * @since 0.1.0
   * @category models
   */
  DeviceAuthorizationInfo,
  /**
   * The fake's options: its settings, base URL, registered apps and clock offset.
   *
   * @since 0.1.0
   * @category models
   */
  FakeUltraCartOptions,
  /**
   * The fake's behaviour, changeable at any time with `FakeUltraCart.Service.configure`.
   *
   * @since 0.1.0
   * @category models
   */
  FakeUltraCartSettings,
  /**
   * Which requests a fault applies to, and how many times.
   *
   * @since 0.1.0
   * @category models
   */
  FaultMatch,
  /**
   * Tokens issued directly by `FakeUltraCart.Service.issueTokens`.
   *
   * @since 0.1.0
   * @category models
   */
  IssuedTokens,
  /**
   * What the fake knows about a token.
   *
   * @since 0.1.0
   * @category models
   */
  TokenInfo
} from "./internal/model.js"

/**
 * The app registered when no `clients` option is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CLIENT: ClientRegistration = {
  clientId: "fake-ultracart-app",
  redirectUris: ["http://127.0.0.1:8976/callback", "https://app.example.test/oauth/callback"],
  permissions: ["order_read", "customer_read", "item_read"]
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace FakeUltraCart {
  /**
   * The fake's controls and state.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service extends FakeUltraCartService {}
}

/**
 * The fake UltraCart server.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakeUltraCart extends Context.Tag("@ultracart-oauth/testing/FakeUltraCart")<
  FakeUltraCart,
  FakeUltraCart.Service
>() {}

/**
 * Makes a fake on the current `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: FakeUltraCartOptions = {}): Effect.Effect<FakeUltraCart.Service> =>
  Effect.map(
    Effect.clock,
    (clock) =>
      new Engine(
        {
          ...options,
          baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ""),
          clients: options.clients ?? [DEFAULT_CLIENT]
        },
        clock
      ).service
  )

const decoder = new TextDecoder()

const bodyText = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<string, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed("")
    case "Uint8Array":
      return Effect.succeed(decoder.decode(body.body))
    case "Raw":
      return Effect.succeed(
        typeof body.body === "string"
          ? body.body
          : body.body instanceof Uint8Array
            ? decoder.decode(body.body)
            : String(body.body)
      )
    case "FormData":
      // A multipart body: the fake records it as text, and refuses it for not being a form-urlencoded one.
      return Effect.promise(() => new Response(body.formData).text())
    case "Stream":
      return body.stream.pipe(
        Stream.decodeText(),
        Stream.mkString,
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))
      )
  }
}

/**
 * The fake as an in-memory `HttpClient`: requests go straight to its handler, no sockets. Requests to any other
 * origin fail as an unresolvable host would (`ENOTFOUND`), so a program never reaches a real server by mistake.
 * Dropped connections fail with a `RequestError` (transport); a body cut short fails while reading it. The
 * client creates no HTTP spans of its own (they would only time the fake).
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpClient = (fake: FakeUltraCart.Service): HttpClient.HttpClient => {
  const origin = new URL(fake.baseUrl).origin
  return HttpClient.make((request, url) => {
    if (url.origin !== origin) {
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.hostname}`), { code: "ENOTFOUND" }),
          description: "the in-memory fake UltraCart answers only on its own base URL"
        })
      )
    }
    return Effect.flatMap(bodyText(request), (body) =>
      Effect.flatMap(
        fake.handle({ method: request.method, url, headers: request.headers, body }),
        (outcome): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError> => {
          switch (outcome._tag) {
            case "Drop":
              return Effect.fail(
                new HttpClientError.RequestError({ request, reason: "Transport", cause: connectionReset() })
              )
            case "Respond":
              return Effect.succeed(new InMemoryResponse(request, outcome.response, false))
            case "Truncate":
              return Effect.succeed(new InMemoryResponse(request, outcome.response, true))
          }
        }
      )
    )
  }).pipe(
    // A span per in-memory call would only time the fake; core's own spans remain.
    HttpClient.withTracerDisabledWhen(() => true)
  )
}

/**
 * The in-memory fake: the `FakeUltraCart` controls and an `HttpClient` that talks to it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: FakeUltraCartOptions = {}): Layer.Layer<FakeUltraCart | HttpClient.HttpClient> =>
  Layer.effectContext(
    Effect.map(make(options), (fake) =>
      Context.make(FakeUltraCart, fake).pipe(Context.add(HttpClient.HttpClient, httpClient(fake)))
    )
  )

/**
 * Core's `OAuthClient` pointed at the fake's base URL (whichever form of the fake is provided).
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (
  options: Omit<OAuthClient.OAuthClientOptions, "baseUrl"> = { clientId: DEFAULT_CLIENT.clientId }
): Layer.Layer<OAuthClient.OAuthClient, OAuthError.InvalidInput, FakeUltraCart | HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(FakeUltraCart, (fake) => OAuthClient.layer({ ...options, baseUrl: fake.baseUrl })))
