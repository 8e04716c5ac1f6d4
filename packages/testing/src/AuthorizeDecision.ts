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
 * The merchant's decision. `Expire` answers the way UltraCart does for an expired authorize URL
 * (`error=invalid_request`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeDecision =
  | ({ readonly _tag: "Approve" } & Grant)
  | { readonly _tag: "Deny"; readonly description?: string | undefined }
  | { readonly _tag: "Expire" }

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
