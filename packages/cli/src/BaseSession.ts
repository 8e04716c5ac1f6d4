/**
 * What `status` runs with, and what a command's session is built on: the resolved settings, the OAuth client, the
 * file token store and the grant's key — and, with `--fake`, the fake UltraCart server they point at. No token
 * manager: `status` reads the store and no more, so it loads none of the refresh machinery.
 *
 * @since 0.2.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import * as FileTokenStore from "@ultracart-oauth/adapters/FileTokenStore"
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import type { PlatformError } from "@effect/platform/Error"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import type * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as CliSettings from "./CliSettings.js"
import * as FakeServer from "./FakeServer.js"

/**
 * The options every command takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface CommonFlags extends CliSettings.Flags {
  /** Run against a fake UltraCart started in this process. */
  readonly fake: boolean
}

/**
 * @since 0.2.0
 * @category models
 */
export interface BaseSession {
  readonly settings: CliSettings.Settings
  readonly client: OAuthClient.OAuthClient.Service
  readonly store: TokenStore.TokenStore.Service
  /** The grant's key in the store: the configured grant, or `default`. */
  readonly key: string
  /** The fake UltraCart of `--fake`. */
  readonly fake: Option.Option<FakeUltraCart.FakeUltraCart.Service>
}

export {
  /**
   * `--fake` could not start its server (see `FakeServer`).
   *
   * @since 0.2.0
   * @category errors
   */
  FakeServerError
} from "./FakeServer.js"

/**
 * Everything building a session can fail with.
 *
 * @since 0.2.0
 * @category errors
 */
export type SessionError =
  | CliSettings.SettingsError
  | FakeServer.FakeServerError
  | OAuthError.InvalidInput
  | PlatformError

/**
 * How long one request to UltraCart may take before it counts as a transient failure.
 *
 * @since 0.2.0
 * @category constants
 */
export const REQUEST_TIMEOUT: Duration.Duration = Duration.seconds(30)

/**
 * Where `--fake` keeps tokens unless told otherwise: never the real store.
 *
 * @since 0.2.0
 * @category constants
 */
export const FAKE_TOKEN_DIR: string = NodePath.join(Os.tmpdir(), "ultracart-oauth-fake", "tokens")

/**
 * Builds the base session of one command for the life of the scope.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  flags: CommonFlags,
  options: { readonly requireClientId: boolean }
): Effect.Effect<BaseSession, SessionError, Scope.Scope | FileSystem.FileSystem | Path.Path | HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const fake = flags.fake
      ? Option.some((yield* FakeServer.start({ deviceInterval: "1 second" })).fake)
      : Option.none()
    const withFake: CliSettings.Flags = Option.match(fake, {
      onNone: () => flags,
      onSome: (server) => ({
        ...flags,
        clientId: Option.orElse(flags.clientId, () => Option.some("fake-ultracart-app")),
        baseUrl: Option.some(server.baseUrl),
        // The fake app takes any loopback port, so a free one is picked rather than a fixed one that may be taken.
        redirectUri: Option.orElse(flags.redirectUri, () => Option.some("http://127.0.0.1:0/callback"))
      })
    })
    const settings = yield* CliSettings.resolve(withFake, {
      requireClientId: options.requireClientId,
      fakeTokenDir: flags.fake ? FAKE_TOKEN_DIR : undefined
    })
    const credentials = Option.orElse(Option.map(settings.simpleKey, Credentials.simpleKey), () =>
      Option.map(settings.browserKey, Credentials.browserKey)
    )
    const client = yield* OAuthClient.make({
      // `status` may run without a client id; no request is made then.
      clientId: settings.clientId === "" ? "unset" : settings.clientId,
      baseUrl: Option.getOrUndefined(settings.baseUrl),
      apiVersion: Option.getOrUndefined(settings.apiVersion),
      credentials: Option.getOrUndefined(credentials),
      requestTimeout: REQUEST_TIMEOUT,
      bodyTimeout: REQUEST_TIMEOUT
    })
    const store = yield* FileTokenStore.make({
      directory: settings.tokenDir,
      encryptionKey: Option.getOrUndefined(settings.tokenEncryptionKey)
    })
    const key = settings.grant === "" ? "default" : settings.grant
    const session: BaseSession = { settings, client, store, key, fake }
    return session
  })
