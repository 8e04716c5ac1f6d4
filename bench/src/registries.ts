/**
 * Many merchants: a registry that hands out the token of any of `known` grants in one store, keeping `active` of
 * them in memory. Measured, per registry, in a process of its own (argv[2]: the token server's base URL, argv[3]:
 * a JSON `{ known, active, lookups }`):
 *
 * - **memory per known grant**: the used heap (after a full GC) with the store holding `known` grants and the
 *   registry built over it, less the heap before, per grant (the store's records are in it);
 * - **memory per active grant**: the growth once `active` merchants have been looked up, per merchant;
 * - **warm lookup**: CPU per token lookup of an active merchant (rounds over the active ones);
 * - **cold lookup**: CPU per first lookup of a known merchant not active yet (each merchant is cold once; five
 *   batches of up to 200 merchants).
 *
 * Measured: `MerchantGrants`, and what a program does without it — a `TokenManager` per merchant, made on first
 * use and kept in a `Map` (nothing let go). A registry to compare is an entry of `registries` below: an `id`, a
 * `label` and `make`, which builds it over the given `TokenStore` and returns a lookup by merchant (its grant key).
 *
 * Prints one JSON line: one result per registry.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as V8 from "node:v8"
import { answer } from "./answer.js"
import { ACCESS_TOKEN, CLIENT_ID } from "./fixtures.js"
import { type Spread, spread } from "./stats.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

/** A registry's lookup: the token set of a merchant's grant, loading it when it is not active. */
export type Lookup = (merchant: string) => Effect.Effect<unknown, unknown>

export interface RegistryUnderTest {
  readonly id: string
  readonly label: string
  /** Builds the registry over `store`; the OAuth client (for refreshes) is in context. */
  readonly make: (
    store: TokenStore.TokenStore.Service
  ) => Effect.Effect<Lookup, never, OAuthClient.OAuthClient | Scope.Scope>
}

/** Without a registry: one token manager per merchant, made on first use, kept in a `Map`. */
const managerPerMerchant: RegistryUnderTest = {
  id: "manager-map",
  label: "a TokenManager per merchant in a Map (without a registry)",
  make: (store) =>
    Effect.map(Effect.context<OAuthClient.OAuthClient | Scope.Scope>(), (context) => {
      const managers = new Map<string, TokenManager.TokenManager.Service>()
      const withStore = Effect.provideService(TokenStore.TokenStore, store)
      return (merchant) => {
        const known = managers.get(merchant)
        if (known !== undefined) return known.tokens
        return Effect.flatMap(
          TokenManager.make({ key: merchant }).pipe(withStore, Effect.provide(context)),
          (manager) => {
            managers.set(merchant, manager)
            return manager.tokens
          }
        )
      }
    })
}

/** The library's registry: managers made on first use, let go after an idle time (longer than the run here). */
const merchantGrants: RegistryUnderTest = {
  id: "merchant-grants",
  label: "`MerchantGrants`",
  make: (store) =>
    MerchantGrants.make({ api: { baseUrl }, idleTimeToLive: "10 minutes" }).pipe(
      Effect.provideService(TokenStore.TokenStore, store),
      Effect.provide(FetchHttpClient.layer),
      Effect.orDie,
      Effect.map((grants): Lookup => grants.tokens)
    )
}

export const registries: ReadonlyArray<RegistryUnderTest> = [managerPerMerchant, merchantGrants]

export interface RegistryScale {
  readonly known: number
  readonly active: number
  readonly lookups: number
}

export interface RegistryResult {
  readonly id: string
  readonly label: string
  readonly known: number
  readonly active: number
  readonly bytesPerKnownGrant: number
  readonly bytesPerActiveGrant: number
  readonly warmLookupMicros: Spread
  readonly coldLookupMicros: Spread
}

const usedHeap = () => {
  gc!()
  return V8.getHeapStatistics().used_heap_size
}

const merchantKey = (i: number) => `merchant-${String(i).padStart(6, "0")}`

const fill = (store: TokenStore.TokenStore.Service, known: number) => {
  const now = DateTime.unsafeNow()
  return Effect.forEach(
    Array.from({ length: known }, (_, i) => i),
    (i) =>
      store.save(merchantKey(i), {
        accessToken: Redacted.make(`${ACCESS_TOKEN}-${i}`),
        refreshToken: Option.some(Redacted.make(`rt-${i}`)),
        expiresAt: DateTime.add(now, { days: 1 }),
        issuedAt: now,
        scope: Option.none()
      }),
    { discard: true }
  )
}

/** CPU µs per lookup over `merchants`, in sequence. */
const cpuPerLookup = (lookup: Lookup, merchants: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    const c0 = process.cpuUsage()
    return Effect.map(Effect.forEach(merchants, lookup, { discard: true }), () => {
      const cpu = process.cpuUsage(c0)
      return (cpu.user + cpu.system) / merchants.length
    })
  })

const measure = (registry: RegistryUnderTest, scale: RegistryScale) =>
  Effect.gen(function* () {
    const before = usedHeap()
    const store = TokenStore.makeMemory()
    yield* fill(store, scale.known)
    const lookup = yield* registry.make(store)
    const built = usedHeap()
    const active = Array.from({ length: scale.active }, (_, i) => merchantKey(i))
    yield* Effect.forEach(active, lookup, { discard: true })
    const warmHeap = usedHeap()
    const warm: Array<number> = []
    for (let done = 0; done < scale.lookups; done += active.length) warm.push(yield* cpuPerLookup(lookup, active))
    // Merchants past the active ones, each looked up once, in five batches of at most 200.
    const cold: Array<number> = []
    const batch = Math.max(1, Math.min(200, Math.floor((scale.known - scale.active) / 5)))
    for (let from = scale.active; from + batch <= Math.min(scale.known, scale.active + 5 * batch); from += batch) {
      const merchants = Array.from({ length: batch }, (_, i) => merchantKey(from + i))
      cold.push(yield* cpuPerLookup(lookup, merchants))
    }
    return {
      id: registry.id,
      label: registry.label,
      known: scale.known,
      active: scale.active,
      bytesPerKnownGrant: (built - before) / scale.known,
      bytesPerActiveGrant: (warmHeap - built) / scale.active,
      warmLookupMicros: spread(warm),
      coldLookupMicros: spread(cold)
    } satisfies RegistryResult
  })

const baseUrl = process.argv[2] ?? ""
if (baseUrl !== "") {
  const scale: RegistryScale = {
    known: 10_000,
    active: 1_000,
    lookups: 100_000,
    ...(JSON.parse(process.argv[3] ?? "{}") as object)
  }
  const oauth = OAuthClient.layer({ clientId: CLIENT_ID, baseUrl }).pipe(Layer.provide(NodeTransport.layer()))
  answer(Effect.forEach(registries, (registry) => Effect.scoped(measure(registry, scale))).pipe(Effect.provide(oauth)))
}
