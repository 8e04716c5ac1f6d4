/**
 * `device-login`: the device authorization grant from the command line. Shows the user code and the
 * verification URI plainly, keeps a live status line while it polls, and stores the tokens.
 *
 * @since 0.1.0
 */
import * as DeviceFlow from "@ultracart-oauth/adapters/DeviceFlow"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Browser from "./Browser.js"
import { CliOutput } from "./CliOutput.js"
import * as NewGrant from "./NewGrant.js"
import * as Printable from "./Printable.js"
import type { Session } from "./Session.js"
import * as Spinner from "./Spinner.js"
import * as TokenReport from "./TokenReport.js"

/**
 * No scope was given: UltraCart's device flow needs an application-level scope.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingScope extends Schema.TaggedError<MissingScope>()("MissingScope", {}) {
  override get message(): string {
    return "device-login needs an application scope"
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DeviceLoginOptions {
  readonly scope: Option.Option<string>
  readonly open: boolean
  /** Print the result as JSON on stdout (and everything else on stderr). */
  readonly json?: boolean | undefined
}

const times = (n: number) => (n === 1 ? "1 time" : `${n} times`)

/**
 * The status line for a state at a moment (`now`, epoch millis).
 *
 * @since 0.1.0
 * @category utils
 */
export const statusLine = (state: DeviceFlow.DeviceFlowState | undefined, expiresAt: number, now: number): string => {
  const expires = `code expires in ${Spinner.duration(expiresAt - now)}`
  if (state === undefined) return `Waiting for the merchant to approve … (${expires})`
  switch (state._tag) {
    case "Pending":
      return `Waiting for the merchant to approve … checked ${times(state.polls)}, next check in ${Spinner.duration(
        state.nextPollAt - now
      )} (${expires})`
    case "SlowedDown":
      return `UltraCart asked to slow down: checking every ${Duration.format(state.interval)}, next in ${Spinner.duration(
        state.nextPollAt - now
      )} (${expires})`
    case "Retrying":
      return `Could not reach UltraCart (${state.error._tag}); trying again in ${Spinner.duration(state.nextPollAt - now)} (${expires})`
    case "Authorized":
      return "Approved."
    case "Denied":
      return "Declined by the merchant."
    case "Expired":
      return "The code expired."
  }
}

/**
 * Runs the device login.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (session: Session, options: DeviceLoginOptions) =>
  Effect.gen(function* () {
    const output = yield* CliOutput
    const say = options.json === true ? output.err : output.out
    const { client, manager, settings, store } = session
    const scope = Option.orElse(options.scope, () => settings.scope)
    if (Option.isNone(scope)) return yield* new MissingScope()
    // Before a code is asked for: tokens that cannot be stored would be a grant for nothing.
    yield* NewGrant.checkStore(store, manager.key)
    const flow = yield* DeviceFlow.start({ scope: scope.value }).pipe(
      Effect.provideService(OAuthClient.OAuthClient, client)
    )
    // Both come from the server: printed only as plain text.
    const verificationUri = Printable.line(flow.verificationUri)
    const userCode = Printable.line(flow.userCode)

    yield* Effect.forEach(
      [
        `To authorize ${Printable.line(settings.clientId)}, open`,
        "",
        `    ${verificationUri}`,
        "",
        "and enter the code",
        ""
      ],
      say,
      { discard: true }
    )
    yield* say(`    ${userCode}`)
    yield* say("")
    yield* Option.match(flow.verificationUriComplete, {
      onNone: () => Effect.void,
      onSome: (complete) => say(`(or open ${Printable.line(complete)}, which carries the code)`)
    })
    if (options.open) {
      yield* Browser.open(Option.getOrElse(flow.verificationUriComplete, () => flow.verificationUri)).pipe(
        Effect.catchAll((error) => output.err(`warning: ${error.message}; open the URL yourself`))
      )
    }

    // The latest state, drawn by the status line.
    let state: DeviceFlow.DeviceFlowState | undefined
    let polledAt = flow.expiresAt
    const onState = (next: DeviceFlow.DeviceFlowState) =>
      Effect.gen(function* () {
        const previous = state
        state = next
        if (next._tag === "Authorized") polledAt = next.polledAt
        // A terminal redraws the line; elsewhere a line per change of state is enough.
        if (!output.interactive && (previous?._tag !== next._tag || next._tag !== "Pending")) {
          yield* output.status(statusLine(next, flow.expiresAt, yield* Clock.currentTimeMillis))
        }
        // With --fake the CLI plays the merchant too: it approves the code once the first poll is pending.
        if (next._tag === "Pending" && next.polls === 1) {
          yield* Option.match(session.fake, {
            onNone: () => Effect.void,
            onSome: (fake) => Effect.ignore(fake.approveDevice(flow.userCode))
          })
        }
      })

    const tokens = yield* Spinner.during(
      output,
      (now) => statusLine(state, flow.expiresAt, now),
      DeviceFlow.poll(flow, { onState }).pipe(Effect.provideService(OAuthClient.OAuthClient, client))
    )
    const stored = yield* NewGrant.save(manager, client, tokens, DateTime.unsafeMake(polledAt))
    yield* say(`Logged in: grant "${Printable.line(manager.key)}" stored in ${settings.tokenDir}`)
    yield* say(TokenReport.describe(stored))
    if (options.json === true) {
      yield* output.out(
        Printable.json({
          grant: manager.key,
          tokenDir: settings.tokenDir,
          ...TokenReport.fields(stored, yield* Clock.currentTimeMillis)
        })
      )
    }
  })
