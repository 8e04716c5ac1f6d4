/** What the Redis tests share: token sets, stores on the test server, a raw client to look at the keys. */
import { type Duration, Effect } from "effect"
import { Redis } from "ioredis"
import * as RedisTokenStore from "../../src/RedisTokenStore.js"
import { RedisServer } from "./RedisServer.js"

export { eventually } from "@ultracart-oauth/test-support/Eventually"
// The token sets of the shared TokenStore contract, so the Redis tests and the contract speak of the same sets.
export { input, plain } from "../../../adapters/test/utils/TokenStoreContract.js"

let prefixes = 0

/** A fresh key prefix, so tests on one server never see each other's grants. */
export const freshPrefix = (): string => `test-${process.pid}-${++prefixes}:`

/** A store on the test server with its own connection (one "process"), closed with the scope. */
export const storeOn = (
  options: Omit<RedisTokenStore.RedisTokenStoreOptions, "connection"> & {
    readonly commandTimeout?: Duration.DurationInput
  } = {}
) =>
  Effect.flatMap(RedisServer, (server) =>
    RedisTokenStore.make({
      ...options,
      connection: { url: server.url, maxReconnectDelay: "100 millis", commandTimeout: options.commandTimeout }
    }).pipe(Effect.orDie)
  )

/** A plain ioredis client on the test server, to read and write keys behind the store's back. */
export const rawClient = Effect.flatMap(RedisServer, (server) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Redis(server.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.sync(() => client.disconnect())
  )
)
