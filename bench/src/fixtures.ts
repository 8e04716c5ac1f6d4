/** What every benchmark sends and what the token server answers. */

export const CLIENT_ID = "bench-client-0001"
export const CODE = "c0de-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
export const REDIRECT_URI = "https://app.example.com/oauth/callback"
export const API_VERSION = "2017-03-01"

/** The token body every request gets: what UltraCart answers a code or refresh grant with. */
export const TOKEN_BODY = JSON.stringify({
  access_token: "at-4f9c2b7e0d1a4c6f8e3b5a7c9d1e2f30",
  refresh_token: "rt-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
  token_type: "bearer",
  expires_in: 86400,
  scope: "order_read item_read"
})
