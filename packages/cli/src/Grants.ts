/**
 * `grants`: the grants in the token store, a page at a time through `TokenStore.list`, each with its expiry and
 * whether it has a refresh token, and which one is current (the grant the other commands use with these
 * settings). Never a token.
 *
 * @since 0.2.0
 */
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CliOutput } from "./CliOutput.js"
import * as Printable from "./Printable.js"
import type { Session } from "./Session.js"
import * as TokenReport from "./TokenReport.js"

/**
 * One grant of the listing: its tokens' fields, or why its record could not be read.
 *
 * @since 0.2.0
 * @category models
 */
export type Row =
  | ({ readonly grant: string; readonly current: boolean } & TokenReport.Fields)
  | { readonly grant: string; readonly current: boolean; readonly unreadable: TokenStore.TokenStoreError["reason"] }

/**
 * Every key of the store, page after page.
 *
 * @since 0.2.0
 * @category constructors
 */
export const keys = (store: TokenStore.TokenStore.Service): Effect.Effect<Array<string>, TokenStore.TokenStoreError> =>
  Effect.iterate(
    { keys: [] as string[], after: Option.none<string>(), done: false },
    {
      while: (state) => !state.done,
      body: (state) =>
        Effect.map(
          store.list({ after: Option.getOrUndefined(state.after), limit: TokenStore.MAX_PAGE_SIZE }),
          (page) => ({ keys: [...state.keys, ...page.keys], after: page.next, done: Option.isNone(page.next) })
        )
    }
  ).pipe(Effect.map((state) => state.keys))

/**
 * The rows of the listing, at `now`. A grant whose record does not read is listed as unreadable (the listing goes
 * on); a grant cleared since the listing is left out.
 *
 * @since 0.2.0
 * @category constructors
 */
export const rows = (
  store: TokenStore.TokenStore.Service,
  current: string,
  now: number
): Effect.Effect<Array<Row>, TokenStore.TokenStoreError> =>
  Effect.flatMap(keys(store), (all) =>
    Effect.map(
      Effect.forEach(all, (grant) =>
        store.load(grant).pipe(
          Effect.map(
            Option.map((tokens): Row => ({ grant, current: grant === current, ...TokenReport.fields(tokens, now) }))
          ),
          Effect.catchAll((error) =>
            Effect.succeed(Option.some<Row>({ grant, current: grant === current, unreadable: error.reason }))
          )
        )
      ),
      (found) => found.flatMap(Option.toArray)
    )
  )

const describeRow = (row: Row): string => {
  const mark = row.current ? "*" : " "
  if ("unreadable" in row) return `${mark} ${Printable.line(row.grant)}  unreadable (${row.unreadable})`
  const access = `${row.accessTokenExpired ? "expired" : "valid until"} ${row.accessTokenExpiresAt}`
  const refresh = row.refreshToken ? "refresh token" : "no refresh token"
  const scope = row.scope === null ? "" : `, scope ${Printable.line(row.scope)}`
  return `${mark} ${Printable.line(row.grant)}  access token ${access}, ${refresh}${scope}`
}

/**
 * Runs `grants`.
 *
 * @since 0.2.0
 * @category commands
 */
export const run = (session: Session, options: { readonly json: boolean }) =>
  Effect.gen(function* () {
    const output = yield* CliOutput
    const { manager, settings, store } = session
    const now = yield* Clock.currentTimeMillis
    const listed = yield* rows(store, manager.key, now)
    if (options.json) {
      return yield* output.out(Printable.json({ tokenDir: settings.tokenDir, current: manager.key, grants: listed }))
    }
    if (listed.length === 0) return yield* output.out(`No grants stored in ${settings.tokenDir}`)
    yield* output.out(
      `Grants in ${settings.tokenDir} (* current, as of ${DateTime.formatIso(DateTime.unsafeMake(now))}):`
    )
    yield* Effect.forEach(listed, (row) => output.out(describeRow(row)), { discard: true })
    if (!listed.some((row) => row.current)) {
      yield* output.out(`The current grant "${Printable.line(manager.key)}" is not stored: log in to add it.`)
    }
  })
