import type * as Models from "@ultracart-oauth/core/Models"
import type { FakeHttpResponse } from "../FakeHttp.js"

// Bodies are typed by core's wire schemas (their encoded side), so the fake and the client agree on the shape
// at compile time without paying for a Schema encode on every answer.
export type TokenBody = typeof Models.OauthTokenResponse.Encoded
export type RevokeBody = typeof Models.OauthRevokeSuccessResponse.Encoded
export type DeviceBody = typeof Models.OauthDeviceAuthorizationResponse.Encoded
export type ErrorBody = typeof Models.ErrorResponse.Encoded

const JSON_TYPE = "application/json; charset=UTF-8"

/** RFC 6749 §5.1: token answers must not be cached. */
const noStore = { "cache-control": "no-store", pragma: "no-cache" } as const

export const json = (status: number, body: unknown, headers?: Readonly<Record<string, string>>): FakeHttpResponse => ({
  status,
  headers: { "content-type": JSON_TYPE, ...headers },
  body: JSON.stringify(body)
})

export const tokenJson = (status: number, body: TokenBody | DeviceBody | Record<string, string>): FakeHttpResponse =>
  json(status, body, noStore)

/**
 * UltraCart's `ErrorResponse`, with the `UC-REST-ERROR` header carrying the developer message (it is what
 * UltraCart documents for every 4xx/5xx of the REST API).
 */
export const errorResponse = (
  status: number,
  errorCode: string,
  developerMessage: string,
  headers?: Readonly<Record<string, string>>
): FakeHttpResponse => {
  const body: ErrorBody = {
    error: {
      developer_message: developerMessage,
      user_message: status >= 500 ? "An internal error occurred. Please try again." : developerMessage,
      error_code: errorCode
    },
    metadata: {},
    success: false
  }
  return json(status, body, { "uc-rest-error": developerMessage, ...headers })
}

/** Which shape token-endpoint errors take. */
export type TokenErrorFormat = "oauth" | "error-response" | "ultracart" | "ultracart-unnamed"

/**
 * An OAuth error (RFC 6749 §5.2), as RFC JSON or — when the fake is set up so — in UltraCart's ErrorResponse: with
 * the OAuth code as `error_code`, or (as UltraCart documents it) with the HTTP status there and the code named in
 * the messages or not at all.
 */
export const oauthError = (
  format: TokenErrorFormat,
  status: number,
  error: string,
  description: string
): FakeHttpResponse => {
  switch (format) {
    case "oauth":
      return json(status, { error, error_description: description }, { ...noStore, "uc-rest-error": description })
    case "error-response":
      return errorResponse(status, error, description, noStore)
    case "ultracart":
      return errorResponse(status, String(status), `${error}: ${description}`, noStore)
    case "ultracart-unnamed":
      return errorResponse(status, String(status), description, noStore)
  }
}

export const redirect = (location: string): FakeHttpResponse => ({
  status: 302,
  headers: { location, "cache-control": "no-store" },
  body: ""
})

const gatewayTitles: Record<number, string> = {
  502: "502 Bad Gateway",
  503: "503 Service Unavailable",
  504: "504 Gateway Timeout"
}

/** What a load balancer in front of an API answers when the service behind it is down: HTML, not JSON. */
export const gatewayPage = (status: number, headers?: Readonly<Record<string, string>>): FakeHttpResponse => {
  const title = gatewayTitles[status] ?? `${status} Error`
  return {
    status,
    headers: { "content-type": "text/html; charset=UTF-8", ...headers },
    body: `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`
  }
}
