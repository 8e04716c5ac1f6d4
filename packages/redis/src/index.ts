/** A `TokenStore` on Redis: compare-and-set in one script, a refresh lease shared by processes, typed outages. @since 0.1.0 */
export * as RedisTokenStore from "./RedisTokenStore.js"
/** An exclusive lease in Redis with a TTL, renewal and a fencing token. @since 0.1.0 */
export * as RedisLease from "./RedisLease.js"
/** The ioredis connection: fail-fast while down, command timeouts, scripts by SHA. @since 0.1.0 */
export * as RedisConnection from "./RedisConnection.js"
/** What a Redis command can fail with: `Unavailable`, `Timeout`, `Rejected`. @since 0.1.0 */
export * as RedisError from "./RedisError.js"
