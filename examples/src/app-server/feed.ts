/**
 * What the app knows about its merchants from the grant registry's events, as they happen (nothing polls
 * UltraCart): a badge per merchant ("connected", "needs reconnect"), the last events, and the live stream of them
 * for the browser (Server-Sent Events). No event carries a secret.
 */
import type { MerchantGrants } from "@ultracart-oauth/adapters/MerchantGrants"
import type { GrantEvent } from "@ultracart-oauth/adapters/GrantEvent"
import { DateTime, Effect, Ref, type Scope, Stream } from "effect"

/** An event as the pages show it. */
export interface EventView {
  readonly at: string
  readonly key: string
  readonly kind: GrantEvent["_tag"]
  readonly text: string
  /** The merchant's badge after this event; `null` once it is gone. */
  readonly badge: string | null
}

export interface Feed {
  /** The badge of each merchant an event has told about. */
  readonly badges: Effect.Effect<ReadonlyMap<string, string>>
  /** The last events, newest first. */
  readonly recent: Effect.Effect<ReadonlyArray<EventView>>
  /** Every event from now on. */
  readonly live: Stream.Stream<EventView>
}

const KEPT = 20

const describe = (event: GrantEvent): Pick<EventView, "text" | "badge"> => {
  switch (event._tag) {
    case "Connected":
      return { text: `connected (grant v${event.version})`, badge: "connected" }
    case "Refreshed":
      return { text: `token refreshed (grant v${event.version})`, badge: "connected" }
    case "ReauthorizationRequired":
      return { text: `must reconnect (${event.reason})`, badge: "needs reconnect" }
    case "Disconnected":
      return {
        text: `disconnected (refresh token ${event.refreshToken}, access token ${event.accessToken})`,
        badge: null
      }
  }
}

const view = (event: GrantEvent): Effect.Effect<EventView> =>
  Effect.map(DateTime.now, (now) => ({
    at: DateTime.formatIso(now).slice(11, 19),
    key: event.key,
    kind: event._tag,
    ...describe(event)
  }))

interface State {
  readonly badges: ReadonlyMap<string, string>
  readonly recent: ReadonlyArray<EventView>
}

const record = (state: State, event: EventView): State => {
  const badges = new Map(state.badges)
  if (event.badge === null) badges.delete(event.key)
  else badges.set(event.key, event.badge)
  return { badges, recent: [event, ...state.recent].slice(0, KEPT) }
}

/** Follows the registry's events for the life of the scope. */
export const make = (grants: MerchantGrants.Service): Effect.Effect<Feed, never, Scope.Scope> =>
  Effect.gen(function* () {
    const state = yield* Ref.make<State>({ badges: new Map(), recent: [] })
    const events = yield* grants.subscribe
    yield* Effect.forkScoped(
      Stream.fromQueue(events).pipe(
        Stream.mapEffect(view),
        Stream.runForEach((event) => Ref.update(state, (s) => record(s, event)))
      )
    )
    return {
      badges: Effect.map(Ref.get(state), (s) => s.badges),
      recent: Effect.map(Ref.get(state), (s) => s.recent),
      live: Stream.mapEffect(grants.events, view)
    }
  })
