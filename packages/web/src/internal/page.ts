import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type ConnectRouteError, statusOf } from "../ConnectError.js"

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/** Text for HTML content and attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c)

/**
 * Headers of every answer of the routes: never cached, never framed, and no `Referer` from a page whose address
 * may carry a code and `state` (the callback's).
 */
export const securityHeaders = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
} as const

interface Explanation {
  readonly title: string
  readonly detail: string
}

const START_AGAIN = "Nothing was changed. Start again from the app."

/** What a person reads for each error: fixed words, never text from the request or from UltraCart. */
const explain = (error: ConnectRouteError): Explanation => {
  switch (error._tag) {
    case "ConnectFlowRejected":
      switch (error.reason) {
        case "Replayed":
          return { title: "This connection link was already used", detail: `Each link works once. ${START_AGAIN}` }
        case "Expired":
          return { title: "This connection link has expired", detail: START_AGAIN }
        case "Forged":
          return { title: "This connection link was tampered with", detail: START_AGAIN }
        default:
          return {
            title: "This connection link cannot be used",
            detail: `It was not started in this browser, has expired, was already used, or was changed. ${START_AGAIN}`
          }
      }
    case "StateMismatch":
      return {
        title: "This connection link cannot be used",
        detail: `It does not match the one started. ${START_AGAIN}`
      }
    case "AuthorizationDenied":
      return {
        title: "Connection declined",
        detail: "The merchant declined to connect on UltraCart. Nothing was connected."
      }
    case "AuthorizationExpired":
      return { title: "The authorization request expired", detail: START_AGAIN }
    case "AuthorizationFailed":
    case "CallbackMissingCode":
      return { title: "UltraCart could not authorize the app", detail: START_AGAIN }
    case "InvalidGrant":
      return { title: "UltraCart refused the authorization code", detail: `It may have expired. ${START_AGAIN}` }
    case "MerchantUnidentified":
      return {
        title: "The merchant could not be identified",
        detail: "UltraCart did not say which merchant connected; the new grant was revoked. Try again."
      }
    case "ReturnAddressRejected":
      return { title: "The return address is not allowed", detail: "Only addresses on this app can be returned to." }
    case "DisconnectRefused":
      return {
        title: "The merchant was not disconnected",
        detail:
          error.reason === "NotAllowed"
            ? "This request may not disconnect that merchant."
            : "The request did not come from this app's own page. Reload the page and try again."
      }
    case "TokenStoreError":
      return {
        title: "The connection could not be saved",
        detail: "The token store is unavailable. Try again shortly."
      }
    default:
      return {
        title: "UltraCart could not be reached",
        detail: "UltraCart failed to answer as expected. Try again shortly."
      }
  }
}

/** A complete HTML document. */
export const document = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body>${body}</body></html>`

/** The default error page: the error's tag and reason as data attributes (for tests and scripts), fixed text. */
export const errorPage = (error: ConnectRouteError, backTo: string): HttpServerResponse.HttpServerResponse => {
  const { detail, title } = explain(error)
  const reason =
    "reason" in error && typeof error.reason === "string" ? ` data-reason="${escapeHtml(error.reason)}"` : ""
  const body = `<main data-error="${escapeHtml(error._tag)}"${reason}>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(detail)}</p>
<p><a href="${escapeHtml(backTo)}">Back to the app</a></p>
</main>`
  return HttpServerResponse.text(document(title, body), {
    status: statusOf(error),
    contentType: "text/html; charset=utf-8",
    headers: securityHeaders
  })
}
