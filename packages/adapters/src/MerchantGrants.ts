/**
 * Many merchants, one app: a registry of grants keyed by merchant, over one `OAuthClient`, one `TokenStore` and
 * one transport. Per merchant it gives a fresh access token, a token manager with every guarantee of the
 * single-grant one (single flight, rotation safety, pending rotations, race recovery, one replay after a 401),
 * and an authenticated `HttpClient` for UltraCart's REST API as that merchant. It connects merchants (code →
 * exchange → `/oauth/me` → key → store), disconnects them (revoke, then delete), lists them (from the store, a
 * page at a time) and tells the app, as it happens, when one must reconnect.
 *
 * A merchant's manager is made on first use and let go once it has been idle for `idleTimeToLive` (and is not
 * refreshing or holding a rotation the store has not taken): a let-go merchant keeps nothing in memory but what
 * the store has, so 10,000 known merchants cost what the few hundred in use cost.
 *
 * @since 0.2.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import type * as MerchantIdentity from "@ultracart-oauth/core/MerchantIdentity"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Auth from "./Auth.js"
import * as AuthenticatedClient from "./AuthenticatedClient.js"
import type { GrantEvent } from "./GrantEvent.js"
import * as TokenManager from "./TokenManager.js"
import * as KeyedCache from "./internal/keyedCache.js"
import { type KeyPage, type ListOptions, type TokenSet, TokenStore, type TokenStoreError } from "./TokenStore.js"

/**
 * Carried by {@link MerchantUnidentified}: what {@link isMerchantUnidentified} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const MerchantUnidentifiedTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/MerchantUnidentified")

/**
 * @since 0.2.0
 * @category type ids
 */
export type MerchantUnidentifiedTypeId = typeof MerchantUnidentifiedTypeId

/**
 * A new grant could not be given a key: UltraCart's `/oauth/me` named no merchant id (or `keyOf` found none). The
 * grant was revoked rather than kept where nothing can find it; the merchant can connect again.
 *
 * @since 0.2.0
 * @category errors
 */
export class MerchantUnidentified extends Schema.TaggedError<MerchantUnidentified>()("MerchantUnidentified", {
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [MerchantUnidentifiedTypeId]: MerchantUnidentifiedTypeId
  static {
    Object.defineProperty(this.prototype, MerchantUnidentifiedTypeId, { value: MerchantUnidentifiedTypeId })
  }
  override get message(): string {
    return `The connected merchant could not be identified (${this.detail}); the new grant was revoked`
  }
}

/**
 * Whether a value is a {@link MerchantUnidentified} (it carries {@link MerchantUnidentifiedTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isMerchantUnidentified = (u: unknown): u is MerchantUnidentified =>
  Predicate.hasProperty(u, MerchantUnidentifiedTypeId)

/**
 * What connecting a merchant can fail with: the code exchange's or `/oauth/me`'s error, no key for the grant, or
 * a store that would not take it. After a successful exchange, every failure revokes the new grant.
 *
 * @since 0.2.0
 * @category errors
 */
export type ConnectError = OAuthError.OAuthClientError | MerchantUnidentified | TokenStoreError

/**
 * The redirect back from UltraCart, checked: its code, and the redirect URI (and PKCE verifier) it was issued for.
 *
 * @since 0.2.0
 * @category models
 */
export interface ConnectInput {
  readonly code: Redacted.Redacted<string>
  readonly redirectUri: string
  readonly codeVerifier?: Redacted.Redacted<string> | undefined
}

/**
 * A connected merchant: its key in the registry, what `/oauth/me` said, and the stored tokens.
 *
 * @since 0.2.0
 * @category models
 */
export interface Connection {
  readonly key: string
  readonly identity: MerchantIdentity.MerchantIdentity
  readonly tokens: TokenSet
}

/**
 * @since 0.2.0
 * @category models
 */
export interface MerchantGrantsOptions {
  /** Options of every merchant's token manager (refresh margin, back-off…). The key is the merchant's. */
  readonly manager?: Omit<TokenManager.TokenManagerOptions, "key" | "onEvent"> | undefined
  /**
   * How long an unused merchant's manager stays in memory (default 5 minutes). It is let go between one and two
   * times this after its last use, and never while it refreshes or holds a rotation the store has not taken.
   */
  readonly idleTimeToLive?: Duration.DurationInput | undefined
  /** The key a connected merchant is stored under. Default: its merchant id from `/oauth/me`. */
  readonly keyOf?: ((identity: MerchantIdentity.MerchantIdentity) => Option.Option<string>) | undefined
  /**
   * Where UltraCart's REST API is and the deadlines of its calls, for the per-merchant clients. What is left out is
   * read from configuration (`ULTRACART_BASE_URL`, `ULTRACART_API_VERSION`…), as every `Auth` Layer reads it.
   */
  readonly api?: Auth.AuthOptions | undefined
  /** Events kept for a subscriber that lags behind (default 1,024); past it, its oldest are dropped. */
  readonly eventCapacity?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export declare namespace MerchantGrants {
  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /** A token set of the merchant's whose access token is valid now (see `TokenManager.Service.tokens`). */
    readonly tokens: (key: string) => Effect.Effect<TokenSet, TokenManager.TokenManagerError>
    /** The access token of {@link tokens}. */
    readonly accessToken: (key: string) => Effect.Effect<Redacted.Redacted<string>, TokenManager.TokenManagerError>
    /** The merchant's token manager, kept in memory for as long as the scope is open. */
    readonly manager: (key: string) => Effect.Effect<TokenManager.TokenManager.Service, never, Scope.Scope>
    /**
     * An `HttpClient` for UltraCart's REST API as the merchant: paths resolve against the API base URL, every
     * request carries the merchant's current token, and a 401 leads to one refresh and one replay.
     */
    readonly client: (key: string) => HttpClient.HttpClient.With<Auth.ApiClientError>
    /** Exchanges the code, asks `/oauth/me` who the merchant is, and stores the grant under its key. */
    readonly connect: (input: ConnectInput) => Effect.Effect<Connection, ConnectError>
    /** Revokes the merchant's refresh token, then its access token, then deletes the grant whatever they answered. */
    readonly disconnect: (key: string) => Effect.Effect<TokenManager.Logout, TokenStoreError>
    /** The keys of the stored grants, a page at a time, in code point order. */
    readonly list: (options?: ListOptions) => Effect.Effect<KeyPage, TokenStoreError>
    /** Every grant event from now on (connected, refreshed, reauthorization required, disconnected). */
    readonly events: Stream.Stream<GrantEvent>
    /** A subscription to the grant events, taken now, for the life of the scope. */
    readonly subscribe: Effect.Effect<Queue.Dequeue<GrantEvent>, never, Scope.Scope>
  }
}

/**
 * The grant registry service.
 *
 * @since 0.2.0
 * @category tags
 */
export class MerchantGrants extends Context.Tag("@ultracart-oauth/adapters/MerchantGrants")<
  MerchantGrants,
  MerchantGrants.Service
>() {}

/**
 * The registry's metrics: none is tagged with a merchant (unbounded cardinality).
 *
 * @since 0.2.0
 * @category metrics
 */
export const metrics = {
  /** Merchants' managers in memory now. */
  managers: Metric.gauge("ultracart_oauth_grant_managers"),
  /** Managers made (first use of a merchant, or use after it was let go). */
  opened: Metric.counter("ultracart_oauth_grant_managers_opened", { incremental: true }),
  /** Managers let go after their idle time. */
  released: Metric.counter("ultracart_oauth_grant_managers_released", { incremental: true })
}

/** A merchant in memory: its token manager and its REST client. */
class Merchant {
  private made: HttpClient.HttpClient.With<Auth.ApiClientError> | undefined
  constructor(
    readonly manager: TokenManager.TokenManager.Service,
    private readonly make: Effect.Effect<HttpClient.HttpClient.With<Auth.ApiClientError>>
  ) {}
  /** The merchant's REST client, made on first use (most uses of a merchant only want a token). */
  get client(): Effect.Effect<HttpClient.HttpClient.With<Auth.ApiClientError>> {
    return this.made === undefined
      ? Effect.tap(this.make, (client) => void (this.made = client))
      : Effect.succeed(this.made)
  }
}

const identify =
  (keyOf: (identity: MerchantIdentity.MerchantIdentity) => Option.Option<string>) =>
  (identity: MerchantIdentity.MerchantIdentity): Either.Either<string, MerchantUnidentified> =>
    Option.match(
      Option.filter(keyOf(identity), (key) => key !== ""),
      {
        onNone: () => Either.left(new MerchantUnidentified({ detail: "/oauth/me named no merchant id" })),
        onSome: Either.right
      }
    )

/**
 * Makes the registry. Its managers live in the given scope; closing it lets each finish a refresh in flight
 * (`shutdownGrace`). Fails with a `ConfigError` for an unacceptable API base URL.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: MerchantGrantsOptions = {}
): Effect.Effect<
  MerchantGrants.Service,
  ConfigError.ConfigError,
  OAuthClient.OAuthClient | TokenStore | HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function* () {
    const oauth = yield* OAuthClient.OAuthClient
    const store = yield* TokenStore
    const http = yield* HttpClient.HttpClient
    // The API's options (what they leave out read from configuration, as every Layer reads it) are checked once,
    // here: every merchant's client is built from the very same ones.
    const api = yield* Auth.withConfig(options.api ?? {})
    yield* Auth.transformClient(Credentials.bearer(Redacted.make("-")), api)
    const hub = yield* PubSub.sliding<GrantEvent>(options.eventCapacity ?? 1024)
    const publish = (event: GrantEvent) => Effect.asVoid(PubSub.publish(hub, event))
    const keyOf = identify(options.keyOf ?? ((identity) => identity.merchantId))
    const context = Context.make(OAuthClient.OAuthClient, oauth).pipe(
      Context.add(TokenStore, store),
      Context.add(HttpClient.HttpClient, http)
    )

    /** Makes a merchant's manager and its REST client, in the merchant's own scope. */
    const merchant = (key: string, scope: Scope.Scope): Effect.Effect<Merchant> =>
      Effect.gen(function* () {
        const manager = yield* Scope.extend(TokenManager.make({ ...options.manager, key, onEvent: publish }), scope)
        const client = AuthenticatedClient.make(api).pipe(
          Effect.provideService(TokenManager.TokenManager, manager),
          Effect.provide(context),
          // Checked when the registry was made: the same options cannot fail here.
          Effect.orDie
        )
        return new Merchant(manager, client)
      }).pipe(Effect.provide(context))

    const merchants = yield* KeyedCache.make({
      make: merchant,
      atRest: ({ manager }) =>
        Effect.map(manager.status, (status) => !status.refreshing && status.phase !== "RotationPending"),
      idleTimeToLive: options.idleTimeToLive ?? Duration.minutes(5),
      onOpen: Effect.zipRight(Metric.increment(metrics.opened), Metric.incrementBy(metrics.managers, 1)),
      onRelease: (count) =>
        Effect.zipRight(Metric.incrementBy(metrics.released, count), Metric.incrementBy(metrics.managers, -count))
    })
    const withEntry = merchants.use

    const connect = (input: ConnectInput): Effect.Effect<Connection, ConnectError> =>
      Effect.gen(function* () {
        const started = yield* DateTime.now
        const response = yield* oauth.exchangeCode(input)
        // From here on the grant exists at UltraCart: it is stored, or revoked — never dropped half way.
        return yield* Effect.uninterruptible(keep(response, started))
      }).pipe(Effect.withSpan("MerchantGrants.connect"))

    const keep = (response: TokenResponse.TokenResponse, started: DateTime.Utc) =>
      Effect.gen(function* () {
        const identity = yield* oauth.me({ accessToken: response.accessToken })
        const key = yield* keyOf(identity)
        const tokens = yield* withEntry(key, ({ manager }) => manager.save(response, started))
        return { key, identity, tokens }
      }).pipe(Effect.tapError(() => abandon(response)))

    /** A grant that cannot be kept is revoked (refresh token first), whatever revocation answers. */
    const abandon = (response: TokenResponse.TokenResponse) =>
      Effect.forEach(
        [...Option.toArray(response.refreshToken), response.accessToken],
        (token) => Effect.exit(oauth.revoke({ token })),
        { discard: true }
      ).pipe(Effect.zipRight(Effect.logWarning("a new grant could not be kept; it was revoked")))

    const disconnect = (key: string): Effect.Effect<TokenManager.Logout, TokenStoreError> =>
      Effect.tap(
        withEntry(key, ({ manager }) => manager.logout),
        () => merchants.release(key)
      ).pipe(Effect.withSpan("MerchantGrants.disconnect"))

    const client = (key: string): HttpClient.HttpClient.With<Auth.ApiClientError> =>
      HttpClient.makeWith(
        (prepared: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
          Effect.flatMap(prepared, (request) =>
            withEntry(key, (merchant) => Effect.flatMap(merchant.client, (client) => client.execute(request)))
          ),
        Effect.succeed
      )

    const service: MerchantGrants.Service = {
      // A token read ends at once or waits for a refresh (the manager is then not at rest): no use count needed.
      tokens: (key) => merchants.touch(key, ({ manager }) => manager.tokens),
      accessToken: (key) => merchants.touch(key, ({ manager }) => manager.accessToken),
      manager: (key) => Effect.map(merchants.hold(key), ({ manager }) => manager),
      client,
      connect,
      disconnect,
      list: (listOptions) => store.list(listOptions),
      events: Stream.fromPubSub(hub),
      subscribe: PubSub.subscribe(hub)
    }
    return service
  })

/**
 * The registry as a Layer over the `OAuthClient`, `TokenStore` and `HttpClient` (the transport) in context. It
 * includes `Auth.layerRedactSecretHeaders`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: MerchantGrantsOptions = {}
): Layer.Layer<MerchantGrants, ConfigError.ConfigError, OAuthClient.OAuthClient | TokenStore | HttpClient.HttpClient> =>
  Layer.merge(Layer.scoped(MerchantGrants, make(options)), Auth.layerRedactSecretHeaders)

/**
 * The registry's options from configuration: every token-manager option as `TokenManager.config` reads it (the
 * grant key aside: it is each merchant's), the API's as `Auth.optionsConfig` does, `ULTRACART_GRANTS_IDLE_TTL`
 * (a duration such as `5 minutes`) and `ULTRACART_GRANTS_EVENT_CAPACITY`.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<MerchantGrantsOptions> = Config.all({
  manager: TokenManager.config,
  api: Auth.optionsConfig,
  idleTimeToLive: Config.option(Config.duration("ULTRACART_GRANTS_IDLE_TTL")),
  eventCapacity: Config.option(Config.integer("ULTRACART_GRANTS_EVENT_CAPACITY"))
}).pipe(
  Config.map(
    ({ api, eventCapacity, idleTimeToLive, manager: { key: _key, ...manager } }): MerchantGrantsOptions => ({
      manager,
      api,
      idleTimeToLive: Option.getOrUndefined(idleTimeToLive),
      eventCapacity: Option.getOrUndefined(eventCapacity)
    })
  )
)

/**
 * The registry as a Layer, from configuration: {@link config} unless another is given (one `Config` of the whole
 * options, or a record with a `Config` per option).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<MerchantGrantsOptions> = config
): Layer.Layer<MerchantGrants, ConfigError.ConfigError, OAuthClient.OAuthClient | TokenStore | HttpClient.HttpClient> =>
  Layer.merge(
    Layer.scoped(MerchantGrants, Effect.flatMap(ConfigWrap.unwrap(options), make)),
    Auth.layerRedactSecretHeaders
  )
