/**
 * The app server's HTML: plain pages, a form per action, and a few lines of script that show grant events as
 * they arrive (Server-Sent Events from the app; nothing polls UltraCart). No code, state or token is ever put in a
 * page: merchants are named by their id, grants by their version.
 */
import type { EventView } from "./feed.js"

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c)

export const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
.badge{border-radius:1rem;padding:.1rem .6rem;background:#dfd}.badge[data-state="needs reconnect"]{background:#fdd}
form{display:inline}.flash{background:#eef;padding:.5rem 1rem}pre{background:#f6f6f6;padding:1rem;overflow:auto}
</style></head><body><p><a href="/">UltraCart app</a></p>${body}</body></html>`

export interface MerchantsPage {
  readonly keys: ReadonlyArray<string>
  readonly next: string | undefined
  readonly badges: ReadonlyMap<string, string>
  readonly recent: ReadonlyArray<EventView>
  readonly csrfToken: string
  readonly flash: string | undefined
  readonly startUrl: string
  readonly disconnectPath: string
  /** Embedded fake only: a button that revokes the grant at UltraCart, as a merchant removing the app would. */
  readonly fakeControls: boolean
}

const row = (page: MerchantsPage, key: string): string => {
  const k = escapeHtml(key)
  const badge = page.badges.get(key) ?? "stored"
  return `<tr data-merchant="${k}"><td><a href="/merchants/${encodeURIComponent(key)}">${k}</a></td>
<td><span class="badge" data-badge="${k}" data-state="${escapeHtml(badge)}">${escapeHtml(badge)}</span></td>
<td><form method="post" action="${escapeHtml(page.disconnectPath)}">
<input type="hidden" name="merchant" value="${k}"><input type="hidden" name="csrf_token" value="${escapeHtml(page.csrfToken)}">
<input type="hidden" name="return_to" value="/"><button type="submit">Disconnect</button></form>
${
  page.fakeControls
    ? `<form method="post" action="/fake/revoke"><input type="hidden" name="merchant" value="${k}">
<button type="submit">Revoke at UltraCart</button></form>`
    : ""
}</td></tr>`
}

const eventItem = (event: EventView): string => `<li>${escapeHtml(`${event.at} ${event.key}: ${event.text}`)}</li>`

/** Prepends each live event to the list and updates the merchant's badge. */
const liveScript = `<script>
new EventSource("/events").onmessage = (message) => {
  const event = JSON.parse(message.data)
  const item = document.createElement("li")
  item.textContent = event.at + " " + event.key + ": " + event.text
  document.getElementById("events").prepend(item)
  const badge = document.querySelector('[data-badge="' + CSS.escape(event.key) + '"]')
  if (badge && event.badge) { badge.textContent = event.badge; badge.dataset.state = event.badge }
}
</script>`

export const merchantsPage = (page: MerchantsPage): string =>
  layout(
    "Connected merchants",
    `<h1>Connected merchants</h1>
${page.flash === undefined ? "" : `<p class="flash" role="status">${escapeHtml(page.flash)}</p>`}
<p><a id="connect" href="${escapeHtml(page.startUrl)}">Connect a merchant</a></p>
${
  page.keys.length === 0
    ? `<p id="empty">No merchant is connected yet.</p>`
    : `<table id="merchants"><tr><th>Merchant</th><th>Status</th><th></th></tr>${page.keys.map((key) => row(page, key)).join("")}</table>`
}
${page.next === undefined ? "" : `<p><a id="next" href="/?after=${encodeURIComponent(page.next)}">Next page</a></p>`}
<h2>Grant events</h2>
<ul id="events">${page.recent.map(eventItem).join("")}</ul>
${liveScript}`
  )

export interface CallPage {
  readonly key: string
  readonly title: string
  readonly status: string
  readonly body: string
  readonly startUrl: string
}

export const merchantPage = (page: CallPage): string =>
  layout(
    `Merchant ${page.key}`,
    `<h1>Merchant ${escapeHtml(page.key)}</h1>
<h2>${escapeHtml(page.title)}</h2>
<p id="call-status">${escapeHtml(page.status)}</p>
<pre id="call-body">${escapeHtml(page.body)}</pre>
<p><a href="${escapeHtml(page.startUrl)}">Reconnect this merchant</a> · <a href="/">Back to the merchants</a></p>`
  )
