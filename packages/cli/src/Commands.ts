/**
 * The command tree of `ultracart-oauth`, built with `@effect/cli`. Every command takes the common options
 * (client id, base URL, token directory, grant, config file, `--fake`), and every command that prints data takes
 * `--json`; what a command prints never includes a token, except `token`, whose output is the access token.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
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
import * as FakeServer from "./FakeServer.js"
import * as Grants from "./Grants.js"
import * as Help from "./Help.js"
import * as Login from "./Login.js"
import * as Printable from "./Printable.js"
import * as Session from "./Session.js"
import * as Status from "./Status.js"
import * as TokenReport from "./TokenReport.js"

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

const json = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON on stdout"))

const open = Options.boolean("open").pipe(Options.withDescription("Open the URL in the default browser"))

const describe = (name: Help.CommandName) => Command.withDescription(Help.COMMANDS[name])

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

const printJson = (value: unknown) => Effect.flatMap(CliOutput, (output) => output.out(Printable.json(value)))

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
    ),
    json
  },
  (flags) =>
    withSession(flags, (session) =>
      Login.run(session, { open: flags.open, timeout: Duration.seconds(flags.timeout), json: flags.json })
    )
).pipe(describe("login"))

const deviceLogin = Command.make(
  "device-login",
  {
    ...common,
    scope: optionalText("scope", `The application scope, such as crm or ultraship (or ${CliSettings.ENV.scope})`),
    open,
    json
  },
  (flags) =>
    withSession(flags, (session) =>
      DeviceLogin.run(session, { scope: flags.scope, open: flags.open, json: flags.json })
    )
).pipe(describe("device-login"))

const token = Command.make("token", { ...common, json }, (flags) =>
  withSession(flags, (session) =>
    Effect.flatMap(session.manager.tokens, (tokens) =>
      // The one place a token is printed: on purpose, for scripts (`$(ultracart-oauth token)`).
      flags.json
        ? printJson({
            accessToken: Redacted.value(tokens.accessToken),
            expiresAt: DateTime.formatIso(tokens.expiresAt),
            scope: Option.getOrNull(tokens.scope)
          })
        : Effect.flatMap(CliOutput, (output) => output.out(Redacted.value(tokens.accessToken)))
    )
  )
).pipe(describe("token"))

const refresh = Command.make("refresh", { ...common, json }, (flags) =>
  withSession(flags, (session) =>
    Effect.gen(function* () {
      const tokens = yield* session.manager.refresh
      if (flags.json) {
        return yield* printJson({
          grant: session.manager.key,
          ...TokenReport.fields(tokens, yield* Clock.currentTimeMillis)
        })
      }
      const output = yield* CliOutput
      yield* output.out(`Refreshed grant "${Printable.line(session.manager.key)}": ${TokenReport.describe(tokens)}`)
    })
  )
).pipe(describe("refresh"))

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
      if (flags.json) return yield* output.out(Printable.json(me.raw))
      const merchant = Option.match(me.merchantId, { onNone: () => "(not named by UltraCart)", onSome: Printable.line })
      yield* output.out(`Merchant:    ${merchant}`)
      yield* output.out(
        `Permissions: ${me.permissions.length === 0 ? "(none listed)" : Printable.line(me.permissions.join(" "))}`
      )
    })
  )
).pipe(describe("whoami"))

const revocationOf = (outcome: TokenManager.RevocationOutcome): string =>
  outcome._tag === "Revoked" ? "revoked" : outcome._tag === "Absent" ? "none stored" : "revocation failed"

const logoutCommand = (name: "logout" | "revoke") =>
  Command.make(name, { ...common, json }, (flags) =>
    withSession(flags, (session) =>
      Effect.gen(function* () {
        const output = yield* CliOutput
        const result = yield* session.manager.logout
        const outcomes = [result.refreshToken, result.accessToken]
        if (flags.json) {
          yield* printJson({
            grant: session.manager.key,
            refreshToken: revocationOf(result.refreshToken),
            accessToken: revocationOf(result.accessToken),
            removed: true
          })
        } else {
          for (const [what, outcome] of [
            ["Refresh token", result.refreshToken],
            ["Access token", result.accessToken]
          ] as const) {
            const detail =
              outcome._tag === "Failed" ? ` (${Printable.line(CliFailure.fromCause(outcome.cause).cause)})` : ""
            yield* output.out(`${what}: ${revocationOf(outcome)}${detail}`)
          }
          yield* output.out(
            `Local tokens of grant "${Printable.line(session.manager.key)}" removed from ${session.settings.tokenDir}`
          )
        }
        // Revocation failed: the tokens may still work at UltraCart. Say so with the failure's exit code.
        const failed = outcomes.find((o) => o._tag === "Failed")
        if (failed !== undefined && failed._tag === "Failed") {
          return yield* Effect.failCause(failed.cause)
        }
      })
    )
  ).pipe(describe(name))

const status = Command.make("status", { ...common, json }, Status.run).pipe(describe("status"))

const grants = Command.make("grants", { ...common, json }, (flags) =>
  withSession(flags, (session) => Grants.run(session, { json: flags.json }), false)
).pipe(describe("grants"))

const fakeServer = Command.make(
  "fake-server",
  {
    port: Options.integer("port").pipe(
      Options.withDescription("The port to listen on (0 picks a free one)"),
      Options.withDefault(8977)
    ),
    json
  },
  ({ json, port }) =>
    Effect.scoped(
      Effect.gen(function* () {
        const output = yield* CliOutput
        const { clientId, fake } = yield* FakeServer.start({ port })
        const deviceUrl = `${fake.baseUrl}/oauth/device`
        if (json) {
          yield* output.out(JSON.stringify({ baseUrl: fake.baseUrl, clientId, deviceUrl }))
        } else {
          yield* output.out(`Fake UltraCart listening on ${fake.baseUrl}`)
          yield* output.out("Point the CLI at it:")
          yield* output.out(`  export ${CliSettings.ENV.baseUrl}=${fake.baseUrl}`)
          yield* output.out(`  export ${CliSettings.ENV.clientId}=${clientId}`)
          yield* output.out(`Device codes are approved at ${deviceUrl}. Ctrl-C stops the server.`)
        }
        return yield* Effect.never
      })
    )
).pipe(describe("fake-server"))

/**
 * The root command.
 *
 * @since 0.1.0
 * @category commands
 */
export const root = Command.make("ultracart-oauth").pipe(
  Command.withDescription("Connect an UltraCart app from the command line: log in, keep tokens fresh, revoke"),
  Command.withSubcommands([
    login,
    deviceLogin,
    token,
    refresh,
    whoami,
    status,
    grants,
    logoutCommand("logout"),
    logoutCommand("revoke"),
    fakeServer
  ])
)
