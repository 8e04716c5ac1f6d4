/**
 * `login`: the browser leg from the command line. Checks the token store can take the tokens, listens on the
 * loopback redirect URI, prints (and with `--open` opens) the authorize URL, waits for this login's redirect
 * (refusing any other request meanwhile), exchanges the code once (never retried: it is single-use), and stores the
 * tokens — or, if they cannot be stored, revokes them.
 *
 * @since 0.1.0
 */
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Browser from "./Browser.js"
import { CliOutput } from "./CliOutput.js"
import * as LoopbackCallback from "./LoopbackCallback.js"
import * as NewGrant from "./NewGrant.js"
import * as Printable from "./Printable.js"
import type { Session } from "./Session.js"
import * as Spinner from "./Spinner.js"
import * as TokenReport from "./TokenReport.js"

/**
 * No redirect of this login came back in time. `refused`: how many requests to the redirect URI were refused
 * meanwhile because they did not carry this login's `state`.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoginTimedOut extends Schema.TaggedError<LoginTimedOut>()("LoginTimedOut", {
  seconds: Schema.Number,
  refused: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {
  override get message(): string {
    const refused =
      this.refused === 0
        ? ""
        : ` (${this.refused === 1 ? "1 request" : `${this.refused} requests`} without this login's state refused)`
    return `No redirect for this login arrived within ${this.seconds} seconds${refused}`
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
  /** Print the result as JSON on stdout (and everything else on stderr). */
  readonly json?: boolean | undefined
}

/**
 * Describes a stored token set in one line, without any token.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeStored: (tokens: TokenStore.TokenSet) => string = TokenReport.describe

const REFUSED =
  "This request does not carry the state of the login in progress (an old tab, or a redirect from elsewhere)."

/**
 * Runs the browser login.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (session: Session, options: LoginOptions) =>
  Effect.gen(function* () {
    const output = yield* CliOutput
    const say = options.json === true ? output.err : output.out
    const { client, manager, settings, store } = session
    // Before the merchant is sent anywhere: a code whose tokens cannot be stored would be spent for nothing.
    yield* NewGrant.checkStore(store, manager.key)
    const listener = yield* LoopbackCallback.listen(settings.redirectUri)
    const authorization = yield* client.authorizationUrl({ redirectUri: listener.redirectUri })

    const printUrl = Effect.forEach(
      [
        `Open this URL in a browser to let a merchant authorize ${Printable.line(settings.clientId)}:`,
        "",
        `  ${authorization.url}`,
        ""
      ],
      say,
      { discard: true }
    )
    // The URL carries this login's `state`: with --open it goes to the browser only, unless the browser fails.
    if (options.open) {
      yield* Browser.open(authorization.url).pipe(
        Effect.zipRight(say("Opened the authorize URL in your default browser.")),
        Effect.catchAll((error) => Effect.zipRight(output.err(`warning: ${error.message}`), printUrl))
      )
    } else {
      yield* printUrl
      yield* say("(pass --open to open it in your default browser instead)")
    }
    yield* Option.match(session.fake, {
      onNone: () => Effect.void,
      // With --fake the CLI also plays the merchant's browser: it follows the authorize URL to the listener.
      onSome: () => Effect.forkScoped(followAsBrowser(authorization.url))
    })

    let refused = 0
    const started = yield* DateTime.now
    const deadline = DateTime.toEpochMillis(started) + Duration.toMillis(options.timeout)
    const waiting = (now: number) =>
      `Waiting for the browser to come back to ${listener.redirectUri} … ${Spinner.elapsed(
        now - DateTime.toEpochMillis(started)
      )} (gives up in ${Spinner.duration(deadline - now)})`
    const code = yield* listener
      .accept(
        (url) =>
          client.parseCallback(url, authorization.state).pipe(
            Effect.map(Either.right),
            Effect.catchTag("StateMismatch", () => Effect.succeed(Either.left(REFUSED)))
          ),
        () =>
          Effect.zipRight(
            Effect.sync(() => refused++),
            output.err("warning: refused a request to the redirect URI without this login's state; still waiting")
          )
      )
      .pipe(
        Effect.timeoutFail({
          duration: options.timeout,
          onTimeout: () => new LoginTimedOut({ seconds: Duration.toSeconds(options.timeout), refused })
        }),
        (wait) => Spinner.during(output, waiting, wait),
        Effect.tapError((error) => listener.reply({ ok: false, text: error.message }))
      )

    const exchangeStarted = yield* DateTime.now
    const tokens = yield* client.exchangeCode({ code, redirectUri: listener.redirectUri }).pipe(
      Effect.flatMap((response) => NewGrant.save(manager, client, response, exchangeStarted)),
      Effect.tapError((error) => listener.reply({ ok: false, text: error.message })),
      Effect.tap(() => listener.reply({ ok: true, text: "The CLI has the tokens." }))
    )
    yield* say(`Logged in: grant "${Printable.line(manager.key)}" stored in ${settings.tokenDir}`)
    yield* say(TokenReport.describe(tokens))
    if (options.json === true) {
      yield* output.out(
        Printable.json({
          grant: manager.key,
          tokenDir: settings.tokenDir,
          ...TokenReport.fields(tokens, DateTime.toEpochMillis(yield* DateTime.now))
        })
      )
    }
  }) satisfies Effect.Effect<void, unknown, CliOutput | Scope.Scope>

/** Fetches the authorize URL and follows its redirect, as the merchant's browser would (for `--fake`). */
const followAsBrowser = (url: string): Effect.Effect<void> =>
  Effect.tryPromise((signal) => fetch(url, { signal }).then((response) => response.text())).pipe(Effect.ignore)
