/**
 * What the merchant does on the fake's consent page: approve (with the merchant id and permissions granted),
 * deny, or let the authorize URL expire.
 *
 * @since 0.1.0
 */

/**
 * The grant a merchant gives: which account and which API permissions. Omitted members default to the fake's
 * merchant id and the client's registered permissions.
 *
 * @since 0.1.0
 * @category models
 */
export interface Grant {
  readonly merchantId?: string | undefined
  readonly permissions?: ReadonlyArray<string> | undefined
}

/**
 * The consent page itself, for a real browser: approve and deny buttons, and a merchant id field unless
 * `askMerchantId` is false (then `merchantId`, or the fake's, is the one who decides).
 *
 * @since 0.2.0
 * @category models
 */
export interface ConsentPageOptions {
  /** The merchant id shown (prefilled in the field, or fixed). Default: the fake's `merchantId` setting. */
  readonly merchantId?: string | undefined
  /** Whether the page asks for the merchant id (true) or shows a fixed merchant. */
  readonly askMerchantId?: boolean | undefined
  /** The permissions an approval grants. Default: the app's registered permissions. */
  readonly permissions?: ReadonlyArray<string> | undefined
}

/**
 * The merchant's decision. `Expire` answers the way UltraCart does for an expired authorize URL
 * (`error=invalid_request`). `ConsentPage` lets a person decide: `GET /oauth/authorize` shows the consent page
 * and the merchant's click on it decides (over HTTP only; the controls `approve`, `deny` and `expire` decide
 * directly).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeDecision =
  | ({ readonly _tag: "Approve" } & Grant)
  | { readonly _tag: "Deny"; readonly description?: string | undefined }
  | { readonly _tag: "Expire" }
  | ({ readonly _tag: "ConsentPage" } & ConsentPageOptions)

/**
 * The authorize request as the consent page sees it (no secrets: `state` is only passed through).
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizeRequest {
  readonly clientId: string
  readonly redirectUri: string
}

/**
 * A decision made per request, for scripted consent pages.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeDecider = (request: AuthorizeRequest) => AuthorizeDecision

/**
 * @since 0.1.0
 * @category constructors
 */
export const approve = (grant: Grant = {}): AuthorizeDecision => ({ _tag: "Approve", ...grant })

/**
 * @since 0.1.0
 * @category constructors
 */
export const deny = (description?: string): AuthorizeDecision => ({ _tag: "Deny", description })

/**
 * @since 0.1.0
 * @category constructors
 */
export const expire: AuthorizeDecision = { _tag: "Expire" }

/**
 * Show the consent page and let the person at the browser approve or deny.
 *
 * @since 0.2.0
 * @category constructors
 */
export const consentPage = (options: ConsentPageOptions = {}): AuthorizeDecision => ({
  _tag: "ConsentPage",
  ...options
})
