/**
 * `login`: the browser leg from the command line. Listens on the loopback redirect URI, prints (and with
 * `--open` opens) the authorize URL, waits for the redirect, checks `state`, exchanges the code once (never
 * retried: it is single-use), and stores the tokens.
 *
 * @since 0.1.0
 */
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Browser from "./Browser.js"
import { CliOutput } from "./CliOutput.js"
import * as LoopbackCallback from "./LoopbackCallback.js"
import type { Session } from "./Session.js"

/**
 * No redirect came back in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoginTimedOut extends Schema.TaggedError<LoginTimedOut>()("LoginTimedOut", {
  seconds: Schema.Number
}) {
  override get message(): string {
    return `No redirect arrived within ${this.seconds} seconds`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LoginOptions {
  /** Open the authorize URL in the browser. */
  readonly open: boolean
  /** How long to wait for the redirect. */
  readonly timeout: Duration.Duration
}

/**
 * Describes a stored token set in one line, without any token.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeStored = (tokens: TokenStore.TokenSet): string => {
  const scope = Option.match(tokens.scope, { onNone: () => "", onSome: (s) => `, scope ${s}` })
  const refresh = Option.isSome(tokens.refreshToken) ? "with a refresh token" : "without a refresh token"
  return `access token valid until ${tokens.expiresAt.toJSON()} (${refresh}${scope})`
}

/**
 * Runs the browser login.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (session: Session, options: LoginOptions) =>
  Effect.gen(function* () {
    const output = yield* CliOutput
    const { client, manager, settings } = session
    const listener = yield* LoopbackCallback.listen(settings.redirectUri)
    const authorization = yield* client.authorizationUrl({ redirectUri: listener.redirectUri })

    const printUrl = Effect.forEach(
      [
        `Open this URL in a browser to let a merchant authorize ${settings.clientId}:`,
        "",
        `  ${authorization.url}`,
        ""
      ],
      output.out,
      { discard: true }
    )
    // The URL carries this login's `state`: with --open it goes to the browser only, unless the browser fails.
    if (options.open) {
      yield* Browser.open(authorization.url).pipe(
        Effect.zipRight(output.out("Opened the authorize URL in your default browser.")),
        Effect.catchAll((error) => Effect.zipRight(output.err(`warning: ${error.message}`), printUrl))
      )
    } else {
      yield* printUrl
      yield* output.out("(pass --open to open it in your default browser instead)")
    }
    yield* output.out(`Waiting for the redirect to ${listener.redirectUri} …`)
    yield* Option.match(session.fake, {
      onNone: () => Effect.void,
      // With --fake the CLI also plays the merchant's browser: it follows the authorize URL to the listener.
      onSome: () => Effect.forkScoped(followAsBrowser(authorization.url))
    })

    const callback = yield* listener.callback.pipe(
      Effect.timeoutFail({
        duration: options.timeout,
        onTimeout: () => new LoginTimedOut({ seconds: Duration.toSeconds(options.timeout) })
      })
    )
    const tokens = yield* Effect.gen(function* () {
      const code = yield* client.parseCallback(callback, authorization.state)
      return yield* manager.login(client.exchangeCode({ code, redirectUri: listener.redirectUri }))
    }).pipe(
      Effect.tapError((error) => listener.reply({ ok: false, text: error.message })),
      Effect.tap(() => listener.reply({ ok: true, text: "The CLI has the tokens." }))
    )
    yield* output.out(`Logged in: grant "${manager.key}" stored in ${settings.tokenDir}`)
    yield* output.out(describeStored(tokens))
  }) satisfies Effect.Effect<void, unknown, CliOutput | Scope.Scope>

/** Fetches the authorize URL and follows its redirect, as the merchant's browser would (for `--fake`). */
const followAsBrowser = (url: string): Effect.Effect<void> =>
  Effect.tryPromise((signal) => fetch(url, { signal }).then((response) => response.text())).pipe(Effect.ignore)
