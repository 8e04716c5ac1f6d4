/** The names the routes read from a request (documented on `ConnectRoutes`, which exports them). */
export const CSRF_FIELD = "csrf_token"
export const MERCHANT_FIELD = "merchant"
export const RETURN_TO_FIELD = "return_to"
