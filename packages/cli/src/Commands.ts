/**
 * The command tree of `ultracart-oauth`, built with `@effect/cli`. Every command takes the common options
 * (client id, base URL, token directory, grant, config file, `--fake`); what a command prints never includes a
 * token, except `token`, whose whole output is the access token.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as CliFailure from "./CliFailure.js"
import { CliOutput } from "./CliOutput.js"
import * as CliSettings from "./CliSettings.js"
import * as DeviceLogin from "./DeviceLogin.js"
import * as Login from "./Login.js"
import * as Session from "./Session.js"

const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

const common = {
  clientId: optionalText(
    "client-id",
    `The app's client id (or ${CliSettings.ENV.clientId}, or "clientId" in the config file)`
  ),
  baseUrl: optionalText("base-url", `UltraCart's REST v2 base URL (or ${CliSettings.ENV.baseUrl})`),
  tokenDir: optionalText("token-dir", `Where tokens are stored (or ${CliSettings.ENV.tokenDir})`),
  grant: optionalText("grant", `The grant's key in the store; defaults to the client id (or ${CliSettings.ENV.grant})`),
  config: optionalText("config", `A JSON config file (or ${CliSettings.ENV.config})`),
  fake: Options.boolean("fake").pipe(
    Options.withDescription("Run against a fake UltraCart started in this process (plays the merchant too)")
  )
}

type Common = Omit<Session.CommonFlags, "redirectUri">

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON"))

const open = Options.boolean("open").pipe(Options.withDescription("Open the URL in the default browser"))

/** Runs a command body in a session of its own, closed (listener, fake, token manager) when the body ends. */
const withSession = <A, E, R>(
  flags: Common & { readonly redirectUri?: Option.Option<string> },
  body: (session: Session.Session) => Effect.Effect<A, E, R>,
  requireClientId = true
) =>
  Effect.scoped(
    Effect.flatMap(
      Session.make({ ...flags, redirectUri: flags.redirectUri ?? Option.none() }, { requireClientId }),
      body
    )
  )

const login = Command.make(
  "login",
  {
    ...common,
    redirectUri: optionalText(
      "redirect-uri",
      `The loopback redirect URI registered with the app (default ${CliSettings.DEFAULT_REDIRECT_URI}; port 0 picks one)`
    ),
    open,
    timeout: Options.integer("timeout").pipe(
      Options.withDescription("Seconds to wait for the redirect"),
      Options.withDefault(300)
    )
  },
  (flags) =>
    withSession(flags, (session) => Login.run(session, { open: flags.open, timeout: Duration.seconds(flags.timeout) }))
).pipe(
  Command.withDescription("Log in through the browser: authorize URL, loopback redirect, code exchange, stored tokens")
)

const deviceLogin = Command.make(
  "device-login",
  {
    ...common,
    scope: optionalText("scope", `The application scope, such as crm or ultraship (or ${CliSettings.ENV.scope})`),
    open
  },
  (flags) => withSession(flags, (session) => DeviceLogin.run(session, { scope: flags.scope, open: flags.open }))
).pipe(Command.withDescription("Log in with a user code entered on another device (RFC 8628)"))

const token = Command.make("token", common, (flags) =>
  withSession(flags, (session) =>
    Effect.flatMap(session.manager.accessToken, (accessToken) =>
      // The one place a token is printed: on purpose, for scripts (`$(ultracart-oauth token)`).
      Effect.flatMap(CliOutput, (output) => output.out(Redacted.value(accessToken)))
    )
  )
).pipe(Command.withDescription("Print a valid access token (refreshed first if needed), for scripts"))

const refresh = Command.make("refresh", common, (flags) =>
  withSession(flags, (session) =>
    Effect.gen(function* () {
      const output = yield* CliOutput
      const tokens = yield* session.manager.refresh
      yield* output.out(`Refreshed grant "${session.manager.key}": ${Login.describeStored(tokens)}`)
    })
  )
).pipe(Command.withDescription("Refresh the access token now"))

const whoami = Command.make("whoami", { ...common, json }, (flags) =>
  withSession(flags, (session) =>
    Effect.gen(function* () {
      const output = yield* CliOutput
      const { client, manager } = session
      const tokens = yield* manager.tokens
      // A 401 means the token died early (revoked, clock skew): refresh once and ask again, never more.
      const me = yield* client
        .me({ accessToken: tokens.accessToken })
        .pipe(
          Effect.catchTag("Unauthorized", () =>
            Effect.flatMap(manager.invalidate(tokens), (fresh) => client.me({ accessToken: fresh.accessToken }))
          )
        )
      if (flags.json) return yield* output.out(JSON.stringify(me.raw, null, 2))
      yield* output.out(`Merchant:    ${Option.getOrElse(me.merchantId, () => "(not named by UltraCart)")}`)
      yield* output.out(`Permissions: ${me.permissions.length === 0 ? "(none listed)" : me.permissions.join(" ")}`)
    })
  )
).pipe(Command.withDescription("Show the merchant account and permissions the token belongs to (/oauth/me)"))

const describeRevocation = (what: string, outcome: TokenManager.RevocationOutcome): string => {
  switch (outcome._tag) {
    case "Revoked":
      return `${what}: revoked`
    case "Absent":
      return `${what}: none stored`
    case "Failed":
      return `${what}: revocation failed (${CliFailure.fromCause(outcome.cause).cause})`
  }
}

const logoutCommand = <Name extends string>(name: Name, description: string) =>
  Command.make(name, common, (flags) =>
    withSession(flags, (session) =>
      Effect.gen(function* () {
        const output = yield* CliOutput
        const result = yield* session.manager.logout
        yield* output.out(describeRevocation("Refresh token", result.refreshToken))
        yield* output.out(describeRevocation("Access token", result.accessToken))
        yield* output.out(`Local tokens of grant "${session.manager.key}" removed from ${session.settings.tokenDir}`)
        // Revocation failed: the tokens may still work at UltraCart. Say so with the failure's exit code.
        const failed = [result.refreshToken, result.accessToken].find((o) => o._tag === "Failed")
        if (failed !== undefined && failed._tag === "Failed") {
          return yield* Effect.failCause(failed.cause)
        }
      })
    )
  ).pipe(Command.withDescription(description))

const logout = logoutCommand("logout", "Revoke the tokens at UltraCart and remove them locally")
const revoke = logoutCommand("revoke", "Same as logout: revoke the tokens at UltraCart and remove them locally")

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
  ...Option.match(tokens, {
    onNone: () => ({}),
    onSome: (t) => ({
      accessTokenExpiresAt: t.expiresAt.toJSON(),
      accessTokenExpired: DateTime.toEpochMillis(t.expiresAt) <= now,
      refreshToken: Option.isSome(t.refreshToken),
      issuedAt: t.issuedAt.toJSON(),
      scope: Option.getOrNull(t.scope)
    })
  })
})

const status = Command.make("status", { ...common, json }, (flags) =>
  withSession(
    flags,
    (session) =>
      Effect.gen(function* () {
        const output = yield* CliOutput
        const { manager, settings, store } = session
        const tokens = yield* store.load(manager.key)
        const now = yield* Clock.currentTimeMillis
        if (flags.json) {
          yield* output.out(JSON.stringify(statusOf(settings, manager.key, tokens, now), null, 2))
        } else {
          yield* output.out(`Grant:         ${manager.key}`)
          yield* output.out(`Client id:     ${settings.clientId === "" ? "(not set)" : settings.clientId}`)
          yield* output.out(`Base URL:      ${Option.getOrElse(settings.baseUrl, () => "(UltraCart)")}`)
          yield* output.out(`Token store:   ${settings.tokenDir} (${settings.tokenDirSource})`)
          yield* output.out(`Config file:   ${Option.getOrElse(settings.configFile, () => "(none)")}`)
          yield* Option.match(tokens, {
            onNone: () => output.out("Logged in:     no"),
            onSome: (t) => {
              const expiresIn = DateTime.toEpochMillis(t.expiresAt) - now
              return Effect.forEach(
                [
                  `Access token:  ${expiresIn > 0 ? "valid" : "expired"}, expires ${t.expiresAt.toJSON()} (${relative(expiresIn)})`,
                  `Refresh token: ${Option.isSome(t.refreshToken) ? "stored" : "none"}`,
                  `Issued at:     ${t.issuedAt.toJSON()}`,
                  `Scope:         ${Option.getOrElse(t.scope, () => "(not sent)")}`
                ],
                output.out,
                { discard: true }
              )
            }
          })
        }
        // Not logged in is the answer a script wants as an exit code (3: authorize again).
        if (Option.isNone(tokens)) {
          return yield* new TokenManager.ReauthorizationRequired({ key: manager.key, reason: "NoTokens" })
        }
      }),
    false
  )
).pipe(Command.withDescription("Show the stored grant: expiry, scope, store location (never the token)"))

const fakeServer = Command.make(
  "fake-server",
  {
    port: Options.integer("port").pipe(Options.withDescription("The port to listen on"), Options.withDefault(8977))
  },
  ({ port }) =>
    Effect.scoped(
      Effect.gen(function* () {
        const output = yield* CliOutput
        const dev = yield* Effect.promise(() => import("./DevServer.js"))
        const fake = yield* dev.start({ port })
        yield* output.out(`Fake UltraCart listening on ${fake.baseUrl}`)
        yield* output.out("Point the CLI at it:")
        yield* output.out(`  export ${CliSettings.ENV.baseUrl}=${fake.baseUrl}`)
        yield* output.out(`  export ${CliSettings.ENV.clientId}=${dev.CLIENT.clientId}`)
        yield* output.out(`Device codes are approved at ${fake.baseUrl}/oauth/device. Ctrl-C stops the server.`)
        return yield* Effect.never
      })
    )
).pipe(Command.withDescription("Serve the fake UltraCart on loopback, for trying the CLI (development)"))

/**
 * The root command.
 *
 * @since 0.1.0
 * @category commands
 */
export const root = Command.make("ultracart-oauth").pipe(
  Command.withDescription("Connect an UltraCart app from the command line: log in, keep tokens fresh, revoke"),
  Command.withSubcommands([login, deviceLogin, token, refresh, whoami, status, logout, revoke, fakeServer])
)
