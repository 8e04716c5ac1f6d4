import type * as Either from "effect/Either"
import type { AuthorizeDecision, ConsentPageOptions } from "../AuthorizeDecision.js"
import type { FakeHttpResponse } from "../FakeHttp.js"
import type { AuthorizationRejected } from "../FakeUltraCartError.js"
import { randomToken } from "./random.js"

/**
 * The fake's consent page, as a person meets it in a browser: `GET /oauth/authorize` (an authorize request that
 * passed the checks) is kept under a random id and answered with a hop to `/oauth/authorize?consent=ID`, the
 * page; its Approve or Deny button posts back to `/oauth/authorize`, and the fake then redirects to the app with
 * `code` and `state` or `error=access_denied` and `state`, by the same rules as the `approve` and `deny`
 * controls. The page carries only the id: `state` never appears in its HTML. Each request is answered once.
 */

/** An authorize request waiting for the merchant's click. */
export interface PendingConsent {
  readonly clientId: string
  readonly redirectUri: string
  readonly state: string
  readonly page: ConsentPageOptions
  /** The merchant id shown (prefilled or fixed). */
  readonly merchantId: string
  readonly permissions: ReadonlyArray<string>
}

/** Carries out the merchant's decision on a pending request: the redirect back to the app, or a refusal. */
export type DecidePending = (
  pending: PendingConsent,
  decision: AuthorizeDecision
) => Either.Either<string, AuthorizationRejected>

interface Entry {
  readonly pending: PendingConsent
  readonly expiresAt: number
}

/** At most this many pages wait at a time; the oldest is forgotten first. */
const MAX_PENDING = 1_000
/** What a merchant id typed on the page may be. */
const MERCHANT_ID = /^[A-Za-z0-9_-]{1,32}$/

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c)

const htmlHeaders = {
  "content-type": "text/html; charset=UTF-8",
  "cache-control": "no-store",
  // A consent page must not be framed (clickjacking), nor tell where it was (Referer).
  "x-frame-options": "DENY",
  "content-security-policy": "frame-ancestors 'none'; default-src 'none'; style-src 'unsafe-inline'",
  "referrer-policy": "no-referrer"
} as const

const document = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}.error{color:#a00}</style></head>
<body><p><strong>UltraCart</strong> (fake)</p>${body}</body></html>`

const errorPage = (status: number, title: string, message: string): FakeHttpResponse => ({
  status,
  headers: htmlHeaders,
  body: document(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`)
})

export class ConsentPages {
  private readonly entries = new Map<string, Entry>()
  private readonly authorizeUrl: string

  constructor(
    baseUrl: string,
    private readonly now: () => number
  ) {
    this.authorizeUrl = `${baseUrl}/oauth/authorize`
  }

  /** Keeps a checked authorize request for `lifetime` milliseconds; yields the address of its page. */
  open(pending: PendingConsent, lifetime: number): string {
    const now = this.now()
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < MAX_PENDING) break
      this.entries.delete(id)
    }
    const id = randomToken("", 32)
    this.entries.set(id, { pending, expiresAt: now + lifetime })
    return `${this.authorizeUrl}?consent=${id}`
  }

  /** `GET /oauth/authorize?consent=ID`: the consent page. */
  page(id: string): FakeHttpResponse {
    const entry = this.live(id)
    if (entry === undefined) return this.unknown()
    return this.render(id, entry.pending, 200, undefined)
  }

  /** `POST /oauth/authorize`: the merchant's click, carried out by `decide`; answered with a 303 to the app. */
  answer(form: Readonly<Record<string, string>> | undefined, decide: DecidePending): FakeHttpResponse {
    const id = form?.["consent"] ?? ""
    const entry = this.live(id)
    if (form === undefined || entry === undefined) return this.unknown()
    const { pending } = entry
    const choice = form["decision"]
    let decision: AuthorizeDecision
    if (choice === "deny") {
      decision = { _tag: "Deny" }
    } else if (choice === "approve") {
      const merchantId = pending.page.askMerchantId === false ? pending.merchantId : (form["merchant_id"] ?? "").trim()
      if (!MERCHANT_ID.test(merchantId)) {
        return this.render(id, pending, 400, "A merchant id is 1 to 32 letters, digits, '-' or '_'.")
      }
      decision = { _tag: "Approve", merchantId, permissions: pending.permissions }
    } else {
      return this.render(id, pending, 400, "Choose Approve or Deny.")
    }
    this.entries.delete(id)
    const decided = decide(pending, decision)
    if (decided._tag === "Left") return errorPage(400, "Authorization refused", decided.left.message)
    return { status: 303, headers: { location: decided.right, "cache-control": "no-store" }, body: "" }
  }

  /** Forgets every waiting page. */
  clear(): void {
    this.entries.clear()
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt > this.now()) return entry
    this.entries.delete(id)
    return undefined
  }

  private unknown(): FakeHttpResponse {
    return errorPage(
      400,
      "Authorization request unknown",
      "This authorization request is unknown, expired or already answered. Go back to the app and start again."
    )
  }

  private render(id: string, pending: PendingConsent, status: number, problem: string | undefined): FakeHttpResponse {
    const merchant =
      pending.page.askMerchantId === false
        ? `<p>Signed in as merchant <strong id="merchant">${escapeHtml(pending.merchantId)}</strong>.</p>`
        : `<p><label for="merchant_id">Merchant id</label>
<input id="merchant_id" name="merchant_id" value="${escapeHtml(pending.merchantId)}" required maxlength="32"></p>`
    const permissions = pending.permissions.map((p) => `<li>${escapeHtml(p)}</li>`).join("")
    const body = `<h1>Authorize ${escapeHtml(pending.clientId)}</h1>
<p>The application <strong>${escapeHtml(pending.clientId)}</strong> asks for access to your UltraCart account.</p>
<ul id="permissions">${permissions}</ul>
${problem === undefined ? "" : `<p class="error" role="alert">${escapeHtml(problem)}</p>`}
<form method="post" action="${escapeHtml(this.authorizeUrl)}">
<input type="hidden" name="consent" value="${escapeHtml(id)}">
${merchant}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>`
    return { status, headers: htmlHeaders, body: document(`Authorize ${pending.clientId}`, body) }
  }
}
