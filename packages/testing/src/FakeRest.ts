/**
 * A little of UltraCart's REST API on the fake, read-only, so an app's API calls are tested offline with the
 * same Layer as its OAuth: `GET /order/orders` (a page of the merchant's orders, UltraCart's `OrdersResponse`)
 * and `GET /order/orders/{order_id}` (`OrderResponse`), both below the base URL.
 *
 * Callers authenticate as UltraCart's spec allows: `Authorization: Bearer <access token>` (the orders of the
 * merchant who granted it, when the grant holds `order_read`) or `x-ultracart-simple-key` (a key registered
 * with an app: the fake's merchant, with the app's permissions). No credential or an unknown one is a `401`; a
 * credential without `order_read` is a `403`; both in UltraCart's `ErrorResponse` shape.
 *
 * @since 0.2.0
 */

/**
 * An order as UltraCart's REST API sends it (snake_case JSON). The fake serves these as they are; only
 * `order_id`, `merchant_id` and `current_stage` are read (to find, scope and filter them).
 *
 * @since 0.2.0
 * @category models
 */
export interface FakeOrder {
  readonly order_id: string
  readonly merchant_id: string
  readonly current_stage: string
  readonly [field: string]: unknown
}

/**
 * The API permission both order endpoints require.
 *
 * @since 0.2.0
 * @category constants
 */
export const ORDER_READ = "order_read"

/**
 * How many orders `GET /order/orders` returns when `_limit` is not given.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_LIMIT = 100

/**
 * The most `_limit` may ask for (UltraCart's documented maximum); more is a `400`.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_LIMIT = 200

const usd = (value: number) => ({
  currency_code: "USD",
  exchange_rate: 1,
  localized: value,
  localized_formatted: `$${value.toFixed(2)}`,
  value
})

const sample = (
  merchantId: string,
  n: number,
  stage: string,
  created: string,
  buyer: { readonly first: string; readonly last: string },
  item: { readonly id: string; readonly description: string; readonly quantity: number; readonly price: number }
): FakeOrder => {
  const total = item.quantity * item.price
  return {
    order_id: `${merchantId}-000000000${n}`,
    merchant_id: merchantId,
    current_stage: stage,
    creation_dts: created,
    currency_code: "USD",
    billing: {
      first_name: buyer.first,
      last_name: buyer.last,
      email: `${buyer.first.toLowerCase()}@example.test`,
      country_code: "US"
    },
    items: [
      {
        merchant_item_id: item.id,
        description: item.description,
        quantity: item.quantity,
        cost: usd(item.price),
        total_cost_with_discount: usd(total)
      }
    ],
    summary: { subtotal: usd(total), total: usd(total) }
  }
}

/**
 * The orders served when none are configured: three for whichever merchant asks (ids `<merchant>-0000000001`
 * to `…3`, one per stage: completed, in the shipping department, in accounts receivable).
 *
 * @since 0.2.0
 * @category constructors
 */
export const sampleOrders = (merchantId: string): ReadonlyArray<FakeOrder> => [
  sample(
    merchantId,
    1,
    "Completed Order",
    "2026-01-05T15:04:05.000Z",
    { first: "Ada", last: "Lovelace" },
    {
      id: "BONE-TSHIRT",
      description: "T-shirt",
      quantity: 2,
      price: 19.95
    }
  ),
  sample(
    merchantId,
    2,
    "Shipping Department",
    "2026-01-06T09:30:00.000Z",
    { first: "Grace", last: "Hopper" },
    { id: "MUG-11OZ", description: "Mug, 11 oz", quantity: 1, price: 12.5 }
  ),
  sample(
    merchantId,
    3,
    "Accounts Receivable",
    "2026-01-07T18:45:10.000Z",
    { first: "Alan", last: "Turing" },
    { id: "STICKER-PACK", description: "Sticker pack", quantity: 5, price: 3 }
  )
]
