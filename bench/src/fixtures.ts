/** What every benchmark sends and what the token server answers. */

export const CLIENT_ID = "bench-client-0001"
export const CODE = "c0de-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
export const REDIRECT_URI = "https://app.example.com/oauth/callback"
export const API_VERSION = "2017-03-01"

/** The access token the token server issues; the API clients' warm grant holds it. */
export const ACCESS_TOKEN = "at-4f9c2b7e0d1a4c6f8e3b5a7c9d1e2f30"

/** The token body every request gets: what UltraCart answers a code or refresh grant with. */
export const TOKEN_BODY = JSON.stringify({
  access_token: ACCESS_TOKEN,
  refresh_token: "rt-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
  token_type: "bearer",
  expires_in: 86400,
  scope: "order_read item_read"
})

/** The REST-like API endpoint of the bench server (any `GET` under `/rest/v2/` gets {@link API_BODY}). */
export const API_PATH = "/rest/v2/order/orders/DEMO-0000001"

/** A small order, about the size of a trimmed UltraCart order answer. */
export const API_BODY = JSON.stringify({
  success: true,
  order: {
    order_id: "DEMO-0000001",
    current_stage: "Completed Order",
    creation_dts: "2026-11-28T10:00:00-05:00",
    summary: { total: { currency_code: "USD", value: 42.5 }, subtotal: { currency_code: "USD", value: 40 } },
    items: [{ merchant_item_id: "SKU-1", quantity: 2, cost: { currency_code: "USD", value: 20 } }]
  }
})
