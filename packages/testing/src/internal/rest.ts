import type { FakeHttpResponse } from "../FakeHttp.js"
import { DEFAULT_LIMIT, type FakeOrder, MAX_LIMIT, ORDER_READ, sampleOrders } from "../FakeRest.js"
import { errorResponse, json } from "./wire.js"

const ORDERS = "/order/orders"

/** Whether a path below the base URL is one of the REST endpoints (`/order/orders`, `/order/orders/{id}`). */
export const isRestPath = (path: string): boolean =>
  path === ORDERS || (path.startsWith(`${ORDERS}/`) && path.indexOf("/", ORDERS.length + 1) === -1)

/** Who is calling, once their bearer token or simple key is checked. */
export interface RestCaller {
  readonly merchantId: string
  readonly permissions: ReadonlyArray<string>
  /** How they authenticated: a bearer token's 403 carries `WWW-Authenticate` (RFC 6750 §3.1). */
  readonly scheme: "bearer" | "simple-key"
}

const forbidden = (caller: RestCaller, permission: string): FakeHttpResponse =>
  errorResponse(
    403,
    "insufficient_scope",
    `This ${caller.scheme === "bearer" ? "access token" : "API key"} does not grant ${permission}`,
    caller.scheme === "bearer"
      ? { "www-authenticate": `Bearer realm="UltraCart", error="insufficient_scope", scope="${permission}"` }
      : undefined
  )

/** A non-negative integer query parameter, its default when absent, or undefined when malformed. */
const count = (value: string | null, fallback: number): number | undefined =>
  value === null ? fallback : /^\d{1,9}$/.test(value) ? Number(value) : undefined

const listOrders = (orders: ReadonlyArray<FakeOrder>, query: URLSearchParams): FakeHttpResponse => {
  const limit = count(query.get("_limit"), DEFAULT_LIMIT)
  const offset = count(query.get("_offset"), 0)
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT) {
    return errorResponse(400, "invalid_limit", `_limit must be a whole number from 1 to ${MAX_LIMIT}`)
  }
  if (offset === undefined) return errorResponse(400, "invalid_offset", "_offset must be a whole number")
  const stage = query.get("current_stage")
  const matching = stage === null ? orders : orders.filter((order) => order.current_stage === stage)
  const page = matching.slice(offset, offset + limit)
  const more = offset + page.length < matching.length
  return json(200, {
    metadata: {
      payload_name: "orders",
      result_set: {
        count: page.length,
        limit,
        more,
        next_offset: more ? offset + page.length : null,
        offset,
        total_records: matching.length
      }
    },
    orders: page,
    success: true
  })
}

const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * Answers a REST request from a checked caller: the caller's merchant's orders (the configured ones, or the
 * samples), scope-checked, in UltraCart's `OrdersResponse` / `OrderResponse` shapes.
 */
export const answerRest = (
  path: string,
  query: URLSearchParams,
  caller: RestCaller,
  configured: ReadonlyArray<FakeOrder> | undefined
): FakeHttpResponse => {
  if (!caller.permissions.includes(ORDER_READ)) return forbidden(caller, ORDER_READ)
  const orders = (configured ?? sampleOrders(caller.merchantId)).filter(
    (order) => order.merchant_id === caller.merchantId
  )
  if (path === ORDERS) return listOrders(orders, query)
  const id = decoded(path.slice(ORDERS.length + 1))
  const order = orders.find((candidate) => candidate.order_id === id)
  return order === undefined
    ? errorResponse(404, "not_found", `No order ${id} for merchant ${caller.merchantId}`)
    : json(200, { metadata: {}, order, success: true })
}
