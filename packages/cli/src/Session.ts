/**
 * What a command runs with: the resolved settings, the OAuth client, the file token store and the token manager
 * for the configured grant — and, with `--fake`, the fake UltraCart server they point at.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as BaseSession from "./BaseSession.js"
import type * as CliSettings from "./CliSettings.js"

/**
 * The options every command takes.
 *
 * @since 0.1.0
 * @category models
 */
export type CommonFlags = BaseSession.CommonFlags

/**
 * @since 0.1.0
 * @category models
 */
export interface Session {
  readonly settings: CliSettings.Settings
  readonly client: OAuthClient.OAuthClient.Service
  readonly store: TokenStore.TokenStore.Service
  readonly manager: TokenManager.TokenManager.Service
  /** The fake UltraCart of `--fake`. */
  readonly fake: Option.Option<FakeUltraCart.FakeUltraCart.Service>
}

export {
  /**
   * `--fake` could not start its server (see `FakeServer`).
   *
   * @since 0.1.0
   * @category errors
   */
  FakeServerError,
  /**
   * Where `--fake` keeps tokens unless told otherwise: never the real store.
   *
   * @since 0.1.0
   * @category constants
   */
  FAKE_TOKEN_DIR,
  /**
   * How long one request to UltraCart may take before it counts as a transient failure.
   *
   * @since 0.1.0
   * @category constants
   */
  REQUEST_TIMEOUT
} from "./BaseSession.js"

/**
 * Everything building a session can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type SessionError = BaseSession.SessionError

/**
 * Builds the session of one command for the life of the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  flags: CommonFlags,
  options: { readonly requireClientId: boolean }
): Effect.Effect<Session, SessionError, Scope.Scope | FileSystem.FileSystem | Path.Path | HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const { settings, client, store, key, fake } = yield* BaseSession.make(flags, options)
    const manager = yield* TokenManager.make({ key }).pipe(
      Effect.provideService(OAuthClient.OAuthClient, client),
      Effect.provideService(TokenStore.TokenStore, store)
    )
    const session: Session = { settings, client, store, manager, fake }
    return session
  })
