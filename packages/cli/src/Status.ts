/**
 * `ultracart-oauth status`: what the CLI knows of the current grant — settings, store location, and the stored
 * tokens' expiry, scope and issue time (never a token). Exits 3 when nothing is stored. Both the command tree and the
 * executable's plain-`status` path (see `QuickStatus`) run it.
 *
 * @since 0.2.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import { ReauthorizationRequired } from "@ultracart-oauth/adapters/ReauthorizationRequired"
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as CliFailure from "./CliFailure.js"
import { CliOutput } from "./CliOutput.js"
import type * as CliSettings from "./CliSettings.js"
import * as Frame from "./internal/frame.js"
import * as BaseSession from "./BaseSession.js"
import * as Printable from "./Printable.js"
import type * as QuickStatus from "./QuickStatus.js"
import * as TokenReport from "./TokenReport.js"

/**
 * The flags of `status`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Flags extends Omit<BaseSession.CommonFlags, "redirectUri"> {
  /** Print the result as JSON. */
  readonly json: boolean
}

const relative = (millis: number): string => {
  const text = Duration.format(Duration.seconds(Math.round(Math.abs(millis) / 1000)))
  return millis >= 0 ? `in ${text}` : `${text} ago`
}

const statusOf = (
  settings: CliSettings.Settings,
  key: string,
  tokens: Option.Option<TokenStore.TokenSet>,
  now: number
) => ({
  grant: key,
  clientId: settings.clientId === "" ? null : settings.clientId,
  baseUrl: Option.getOrNull(settings.baseUrl),
  tokenDir: settings.tokenDir,
  tokenDirSource: settings.tokenDirSource,
  configFile: Option.getOrNull(settings.configFile),
  loggedIn: Option.isSome(tokens),
  ...Option.match(tokens, { onNone: () => ({}), onSome: (t) => TokenReport.fields(t, now) })
})

const statusLines = (
  settings: CliSettings.Settings,
  key: string,
  tokens: Option.Option<TokenStore.TokenSet>,
  now: number
) => [
  `Grant:         ${Printable.line(key)}`,
  `Client id:     ${settings.clientId === "" ? "(not set)" : Printable.line(settings.clientId)}`,
  `Base URL:      ${Option.getOrElse(Option.map(settings.baseUrl, Printable.line), () => "(UltraCart)")}`,
  `Token store:   ${settings.tokenDir} (${settings.tokenDirSource})`,
  `Config file:   ${Option.getOrElse(settings.configFile, () => "(none)")}`,
  ...Option.match(tokens, {
    onNone: () => ["Logged in:     no"],
    onSome: (t) => {
      const expiresIn = DateTime.toEpochMillis(t.expiresAt) - now
      const expiresAt = DateTime.formatIso(t.expiresAt)
      return [
        `Access token:  ${expiresIn > 0 ? "valid" : "expired"}, expires ${expiresAt} (${relative(expiresIn)})`,
        `Refresh token: ${Option.isSome(t.refreshToken) ? "stored" : "none"}`,
        `Issued at:     ${DateTime.formatIso(t.issuedAt)}`,
        `Scope:         ${Option.getOrElse(Option.map(t.scope, Printable.line), () => "(not sent)")}`
      ]
    }
  })
]

/**
 * Runs `status` with its flags: prints the grant's state, and fails with `ReauthorizationRequired` (exit 3) when no
 * tokens are stored.
 *
 * @since 0.2.0
 * @category running
 */
export const run = (
  flags: Flags
): Effect.Effect<
  void,
  BaseSession.SessionError | TokenStore.TokenStoreError | ReauthorizationRequired,
  CliOutput | FileSystem.FileSystem | Path.Path | HttpClient.HttpClient
> =>
  Effect.scoped(
    Effect.flatMap(BaseSession.make({ ...flags, redirectUri: Option.none() }, { requireClientId: false }), (session) =>
      Effect.gen(function* () {
        const output = yield* CliOutput
        const { key, settings, store } = session
        const tokens = yield* store.load(key)
        const now = yield* Clock.currentTimeMillis
        if (flags.json) yield* output.out(Printable.json(statusOf(settings, key, tokens, now)))
        else yield* Effect.forEach(statusLines(settings, key, tokens, now), output.out, { discard: true })
        // Not logged in is the answer a script wants as an exit code (3: authorize again).
        if (Option.isNone(tokens)) {
          return yield* new ReauthorizationRequired({ key: key, reason: "NoTokens" })
        }
      })
    )
  )

/**
 * Runs a plain `status` command line (see `QuickStatus.parse`) as the CLI runs any command line — same output, same
 * `error:`/`hint:` lines, same exit code — without the command parser. Never fails.
 *
 * @since 0.2.0
 * @category running
 */
export const runQuick = (
  flags: QuickStatus.Flags
): Effect.Effect<CliFailure.ExitCode, never, CliOutput | FileSystem.FileSystem | Path.Path | HttpClient.HttpClient> => {
  const value = (name: QuickStatus.SettingFlag) => Option.fromNullable(flags.values[name])
  return Frame.run(() =>
    run({
      clientId: value("client-id"),
      baseUrl: value("base-url"),
      tokenDir: value("token-dir"),
      grant: value("grant"),
      config: value("config"),
      fake: false,
      json: flags.json
    })
  )
}
