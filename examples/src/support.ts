/**
 * What the examples share: how to print a token without showing it, and where the UltraCart they talk to comes
 * from (the embedded fake server by default, or any UltraCart base URL given by configuration).
 */
import { Config, type ConfigError, Console, Effect, Option, Redacted } from "effect"
import { createHash } from "node:crypto"

/**
 * A short, stable fingerprint of a secret: the first 8 hex digits of its SHA-256. Enough to tell two tokens
 * apart in output, useless for calling the API.
 */
export const fingerprint = (secret: Redacted.Redacted<string>): string =>
  `sha256:${createHash("sha256").update(Redacted.value(secret)).digest("hex").slice(0, 8)}`

/** An optional secret's fingerprint, or a dash. */
export const fingerprintOption = (secret: Option.Option<Redacted.Redacted<string>>): string =>
  Option.match(secret, { onNone: () => "—", onSome: fingerprint })

/** One line of example output, indented under a step. */
export const show = (label: string, value: string) => Console.log(`   ${label.padEnd(14)} ${value}`)

/** A numbered step of an example. */
export const step = (n: number, title: string) => Console.log(`${n}. ${title}`)

/**
 * A real UltraCart (or any compatible server) to run against instead of the embedded fake: set
 * `ULTRACART_BASE_URL`, `ULTRACART_CLIENT_ID` and `ULTRACART_AUTH_CODE` (a fresh code from the authorize
 * redirect), optionally `ULTRACART_REDIRECT_URI` and `ULTRACART_SIMPLE_KEY`.
 */
export interface RealServer {
  readonly baseUrl: string
  readonly clientId: string
  readonly authCode: Redacted.Redacted<string>
  readonly redirectUri: string
  readonly simpleKey: Option.Option<Redacted.Redacted<string>>
}

/** `Some` when `ULTRACART_BASE_URL` is set (and then the rest is required), `None` for the embedded fake. */
export const loadRealServer: Effect.Effect<Option.Option<RealServer>, ConfigError.ConfigError> = Effect.gen(
  function* () {
    const baseUrl = yield* Config.option(Config.nonEmptyString("ULTRACART_BASE_URL"))
    if (Option.isNone(baseUrl)) return Option.none()
    const rest = yield* Config.all({
      clientId: Config.nonEmptyString("ULTRACART_CLIENT_ID"),
      authCode: Config.redacted("ULTRACART_AUTH_CODE"),
      redirectUri: Config.withDefault(Config.nonEmptyString("ULTRACART_REDIRECT_URI"), "https://localhost/callback"),
      simpleKey: Config.option(Config.redacted("ULTRACART_SIMPLE_KEY"))
    })
    return Option.some({ baseUrl: baseUrl.value, ...rest })
  }
)
