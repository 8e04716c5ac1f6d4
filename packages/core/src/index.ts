/**
 * @ultracart-oauth/core — UltraCart's OAuth endpoints as typed Effect calls.
 *
 * @since 0.1.0
 */

/** The client service, its options and Layers. @since 0.1.0 */
export * as OAuthClient from "./OAuthClient.js"
/** Every error an endpoint call can fail with, as tagged classes and unions. @since 0.1.0 */
export * as OAuthError from "./OAuthError.js"
/** UltraCart's wire models as Schemas. @since 0.1.0 */
export * as Models from "./Models.js"
/** The token endpoint's answer. @since 0.1.0 */
export * as TokenResponse from "./TokenResponse.js"
/** The device authorization endpoint's answer. @since 0.1.0 */
export * as DeviceAuthorization from "./DeviceAuthorization.js"
/** The revocation endpoint's answer. @since 0.1.0 */
export * as Revocation from "./Revocation.js"
/** The `/oauth/me` endpoint's answer. @since 0.1.0 */
export * as MerchantIdentity from "./MerchantIdentity.js"
/** Building the authorize URL with a fresh `state`. @since 0.1.0 */
export * as AuthorizationUrl from "./AuthorizationUrl.js"
/** Reading the redirect back, checking `state`. @since 0.1.0 */
export * as Callback from "./Callback.js"
/** UltraCart's auth schemes and their headers. @since 0.1.0 */
export * as Credentials from "./Credentials.js"
/** Whether a failed request may have reached the server. @since 0.1.0 */
export * as RequestOutcome from "./RequestOutcome.js"
/** `Retry-After` parsing. @since 0.1.0 */
export * as RetryAfter from "./RetryAfter.js"
/** PKCE (S256), for servers that support it. @since 0.1.0 */
export * as Pkce from "./Pkce.js"
/** Options from configuration as a `Config.Wrap` record, as first-party Effect packages take them. @since 0.2.0 */
export * as ConfigWrap from "./ConfigWrap.js"
