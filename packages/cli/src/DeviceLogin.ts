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
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Browser from "./Browser.js"
import { CliOutput } from "./CliOutput.js"
import { describeStored } from "./Login.js"
import type { Session } from "./Session.js"

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
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const

const seconds = (millis: number): string => {
  const s = Math.max(0, Math.ceil(millis / 1000))
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

const times = (n: number) => (n === 1 ? "1 time" : `${n} times`)

/**
 * The status line for a state at a moment (`now`, epoch millis).
 *
 * @since 0.1.0
 * @category utils
 */
export const statusLine = (state: DeviceFlow.DeviceFlowState | undefined, expiresAt: number, now: number): string => {
  const expires = `code expires in ${seconds(expiresAt - now)}`
  if (state === undefined) return `Waiting for the merchant to approve … (${expires})`
  switch (state._tag) {
    case "Pending":
      return `Waiting for the merchant to approve … checked ${times(state.polls)}, next check in ${seconds(
        state.nextPollAt - now
      )} (${expires})`
    case "SlowedDown":
      return `UltraCart asked to slow down: checking every ${Duration.format(state.interval)}, next in ${seconds(
        state.nextPollAt - now
      )} (${expires})`
    case "Retrying":
      return `Could not reach UltraCart (${state.error._tag}); trying again in ${seconds(state.nextPollAt - now)} (${expires})`
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
    const { client, manager, settings } = session
    const scope = Option.orElse(options.scope, () => settings.scope)
    if (Option.isNone(scope)) return yield* new MissingScope()
    const flow = yield* DeviceFlow.start({ scope: scope.value }).pipe(
      Effect.provideService(OAuthClient.OAuthClient, client)
    )

    yield* output.out(`To authorize ${settings.clientId}, open`)
    yield* output.out("")
    yield* output.out(`    ${flow.verificationUri}`)
    yield* output.out("")
    yield* output.out("and enter the code")
    yield* output.out("")
    yield* output.out(`    ${flow.userCode}`)
    yield* output.out("")
    yield* Option.match(flow.verificationUriComplete, {
      onNone: () => Effect.void,
      onSome: (complete) => output.out(`(or open ${complete}, which carries the code)`)
    })
    if (options.open) {
      yield* Browser.open(Option.getOrElse(flow.verificationUriComplete, () => flow.verificationUri)).pipe(
        Effect.catchAll((error) => output.err(`warning: ${error.message}; open the URL yourself`))
      )
    }

    const latest = yield* Ref.make<DeviceFlow.DeviceFlowState | undefined>(undefined)
    const draw = Effect.flatMap(Ref.get(latest), (state) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const frame =
          state === undefined || !DeviceFlow.isFinal(state)
            ? SPINNER[Math.floor(now / 250) % SPINNER.length]
            : state._tag === "Authorized"
              ? "✔"
              : "✖"
        return output.status(`${frame} ${statusLine(state, flow.expiresAt, now)}`)
      })
    )
    if (output.interactive) {
      yield* draw
      // A terminal gets a ticking line; elsewhere a line per change of state is enough.
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep("250 millis"), draw)))
    } else {
      yield* output.status(statusLine(undefined, flow.expiresAt, yield* Clock.currentTimeMillis))
    }

    let polledAt = flow.expiresAt
    const onState = (state: DeviceFlow.DeviceFlowState) =>
      Effect.gen(function* () {
        const previous = yield* Ref.getAndSet(latest, state)
        if (state._tag === "Authorized") polledAt = state.polledAt
        if (!output.interactive && (previous?._tag !== state._tag || state._tag !== "Pending")) {
          yield* output.status(statusLine(state, flow.expiresAt, yield* Clock.currentTimeMillis))
        }
        // With --fake the CLI plays the merchant too: it approves the code once the first poll is pending.
        if (state._tag === "Pending" && state.polls === 1) {
          yield* Option.match(session.fake, {
            onNone: () => Effect.void,
            onSome: (fake) => Effect.ignore(fake.approveDevice(flow.userCode))
          })
        }
      })

    const tokens = yield* DeviceFlow.poll(flow, { onState }).pipe(
      Effect.provideService(OAuthClient.OAuthClient, client),
      Effect.ensuring(output.interactive ? Effect.zipRight(draw, output.endStatus) : output.endStatus)
    )
    const stored = yield* manager.save(tokens, DateTime.unsafeMake(polledAt))
    yield* output.out(`Logged in: grant "${manager.key}" stored in ${settings.tokenDir}`)
    yield* output.out(describeStored(stored))
  })
