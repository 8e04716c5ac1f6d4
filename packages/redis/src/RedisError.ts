/**
 * What can go wrong talking to Redis, as one tagged error with a reason a caller can branch on. It carries the
 * command's name and Redis's or the socket's message, never the command's arguments (they hold tokens).
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * Carried by {@link RedisError}: what {@link isRedisError} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/redis/RedisError")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A Redis command did not succeed.
 *
 * - `Unavailable`: no usable connection — Redis is down, restarting, unreachable, or the connection broke while
 *   the command was in flight (then it may or may not have run).
 * - `Timeout`: no answer within the command timeout (it may still run).
 * - `Rejected`: Redis answered with an error (`LOADING`, `READONLY`, `OOM`, `NOAUTH`, a wrong key type…).
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisError extends Schema.TaggedError<RedisError>()("RedisError", {
  reason: Schema.Literal("Unavailable", "Timeout", "Rejected"),
  command: Schema.String,
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    Object.defineProperty(this.prototype, TypeId, { value: TypeId })
  }
  override get message(): string {
    return `Redis ${this.command} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * Whether a value is a {@link RedisError} (it carries {@link TypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isRedisError = (u: unknown): u is RedisError => Predicate.hasProperty(u, TypeId)

/**
 * The first line of an error's message, shortened: enough to act on, and nothing from the command's arguments
 * (neither Redis nor ioredis quote arguments in their messages; the cut keeps a stack or a dump out too).
 */
const summary = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  const line = text.split("\n", 1)[0] ?? ""
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/**
 * Classifies whatever ioredis rejected with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUnknown = (command: string, error: unknown): RedisError => {
  const detail = summary(error)
  // Redis answering with an error is a rejection, except while it loads its data after a restart; whatever
  // else ioredis rejects with is about the connection (closed, not writeable, retries exhausted, refused…).
  const replied = error instanceof Error && error.name === "ReplyError" && !detail.startsWith("LOADING")
  const reason = detail === "Command timed out" ? "Timeout" : replied ? "Rejected" : "Unavailable"
  return new RedisError({ reason, command, detail })
}
