/**
 * The app server (`src/app-server.ts`, run as its own process against the embedded fake UltraCart with its consent
 * page) driven by a real headless Chromium: connect a merchant by clicking through the consent page, see it
 * listed, see a REST call made as it, disconnect it; a denial, a tampered `state` and a replayed callback each end
 * on a clear error page. Throughout, no code, `state`, token or cookie value appears in any page's HTML or in
 * the app's output.
 *
 * Chromium is Debian's (`/usr/bin/chromium`, or CHROMIUM_PATH), driven by playwright-core (which never downloads a
 * browser); `node scripts/test.mjs` installs it when missing and running as root.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const EXAMPLES = join(import.meta.dirname, "..")

interface App {
  readonly url: string
  readonly process: ChildProcess
  /** Everything the app printed (stdout and stderr). */
  readonly output: () => string
}

/** Starts the app on a free port with its grants in a SQLite file in `tokenDir`, and waits for the line with its URL. */
const startApp = (tokenDir: string): Promise<App> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/app-server.ts"], {
      cwd: EXAMPLES,
      env: { ...process.env, APP_PORT: "0", ULTRACART_DATABASE_URL: `${tokenDir}/grants.db`, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /App on (http:\/\/\S+?)\/ /.exec(output)
      if (match?.[1] !== undefined) resolve({ url: match[1], process: child, output: () => output })
    }
    child.stdout.on("data", read)
    child.stderr.on("data", read)
    child.on("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${output}`)))
  })

let app: App
let context: BrowserContext
let page: Page
const tokenDir = mkdtempSync(join(tmpdir(), "app-server-tokens-"))
const profile = mkdtempSync(join(tmpdir(), "app-server-chromium-"))
/** Every page's HTML, as the browser had it. */
const pages: Array<string> = []
/** Every URL the browser requested (the authorize URLs carry `state`, the callbacks `code` and `state`). */
const requested: Array<string> = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (node scripts/test.mjs does, as root)`)
  }
  app = await startApp(tokenDir)
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.on("request", (request) => void requested.push(request.url()))
  page.on(
    "load",
    () =>
      void page.content().then(
        (html) => pages.push(html),
        () => undefined
      )
  )
}, 120_000)

afterAll(async () => {
  await context?.close()
  app?.process.kill()
  rmSync(profile, { recursive: true, force: true })
  rmSync(tokenDir, { recursive: true, force: true })
})

/** Home → "Connect a merchant" → the fake UltraCart's consent page. */
const openConsentPage = async () => {
  await page.goto(`${app.url}/`)
  await page.click("#connect")
  await page.waitForSelector("button[value=approve]")
  expect(await page.title()).toBe("Authorize fake-ultracart-app")
}

const approveAs = async (merchantId: string) => {
  await page.fill("#merchant_id", merchantId)
  await page.click("button[value=approve]")
  await page.waitForURL(/connected=/)
}

/** The error page's tag and reason. */
const shownError = async () => [
  await page.getAttribute("main", "data-error"),
  await page.getAttribute("main", "data-reason")
]

/**
 * Stops the browser before the callback: the consent page's answer (a redirect to the app's callback, which the
 * browser would follow at once) is read here and not followed. Yields the callback URL UltraCart sent.
 */
const catchCallback = async (click: () => Promise<void>): Promise<string> => {
  let caught = ""
  await page.route("**/oauth/authorize", async (route) => {
    if (route.request().method() !== "POST") return route.continue()
    const answer = await route.fetch({ maxRedirects: 0 })
    caught = answer.headers()["location"] ?? ""
    return route.fulfill({ status: 200, contentType: "text/html", body: "<p>held back</p>" })
  })
  await click()
  await expect.poll(() => caught).toMatch(/\/connect\/callback\?/)
  await page.unroute("**/oauth/authorize")
  return caught
}

describe("the app server in a real browser", () => {
  it("connect on the consent page, see the merchant and a REST call as it, disconnect it", async () => {
    await openConsentPage()
    await approveAs("ACME")
    expect(new URL(page.url()).pathname).toBe("/")
    expect(await page.textContent(".flash")).toBe("Connected: ACME")
    expect(await page.textContent('[data-badge="ACME"]')).toBe("connected")
    expect(await page.textContent("#events")).toContain("ACME: connected")

    await page.click('a[href="/merchants/ACME"]')
    expect(await page.textContent("#call-status")).toBe("HTTP 200")
    // The merchant's own orders, from UltraCart's REST API as that merchant.
    const body = JSON.parse((await page.textContent("#call-body")) ?? "{}") as {
      success?: boolean
      orders?: ReadonlyArray<{ merchant_id?: string }>
    }
    expect(body.success).toBe(true)
    expect(body.orders?.length).toBeGreaterThan(0)
    expect(body.orders?.every((order) => order.merchant_id === "ACME")).toBe(true)

    await page.goto(`${app.url}/`)
    await page.click('tr[data-merchant="ACME"] button:has-text("Disconnect")')
    await page.waitForURL(/disconnected=ACME/)
    expect(await page.textContent(".flash")).toBe("Disconnected: ACME")
    expect(await page.$('tr[data-merchant="ACME"]')).toBeNull()
    expect(await page.textContent("#events")).toContain("ACME: disconnected (refresh token Revoked")
  }, 60_000)

  it("a denial on the consent page ends on a clear error page", async () => {
    await openConsentPage()
    const answer = page.waitForResponse("**/connect/callback?**")
    await page.click("button[value=deny]")
    expect((await answer).status()).toBe(403)
    expect(await shownError()).toEqual(["AuthorizationDenied", null])
    expect(await page.textContent("h1")).toBe("Connection declined")
  }, 60_000)

  it("a tampered state in the callback URL ends on a clear error page, and costs the real one nothing", async () => {
    await openConsentPage()
    await page.fill("#merchant_id", "BOLT")
    const callback = await catchCallback(() => page.click("button[value=approve]"))
    const tampered = new URL(callback)
    const state = tampered.searchParams.get("state") ?? ""
    tampered.searchParams.set("state", `${state.slice(0, -2)}${state.endsWith("AA") ? "BB" : "AA"}`)
    const refused = await page.goto(tampered.toString())
    expect(refused?.status()).toBe(400)
    expect(await shownError()).toEqual(["ConnectFlowRejected", "NotFound"])
    expect(await page.textContent("h1")).toBe("This connection link cannot be used")
    await page.goto(callback)
    expect(await page.textContent(".flash")).toBe("Connected: BOLT")
  }, 60_000)

  it("a replayed callback URL ends on a clear error page; the merchant stays connected", async () => {
    await openConsentPage()
    await page.fill("#merchant_id", "CASH")
    const callback = await catchCallback(() => page.click("button[value=approve]"))
    await page.goto(callback)
    expect(await page.textContent(".flash")).toBe("Connected: CASH")
    const replay = await page.goto(callback)
    expect(replay?.status()).toBe(400)
    expect(await shownError()).toEqual(["ConnectFlowRejected", "Replayed"])
    expect(await page.textContent("h1")).toBe("This connection link was already used")
    await page.goto(`${app.url}/merchants/CASH`)
    expect(await page.textContent("#call-status")).toBe("HTTP 200")
  }, 60_000)

  it("a merchant who removed the app shows 'needs reconnect' live, from the event stream", async () => {
    await openConsentPage()
    await approveAs("DART")
    await page.click('tr[data-merchant="DART"] button:has-text("Revoke at UltraCart")')
    await page.waitForURL(/revoked=DART/)
    expect(await page.textContent('[data-badge="DART"]')).toBe("connected")
    // A REST call as the merchant, made while this page stays open: the 401, the failed refresh, the event.
    const call = await page.evaluate(async () => (await fetch("/merchants/DART")).text())
    expect(call).toContain("ReauthorizationRequired")
    await page.waitForSelector('[data-badge="DART"][data-state="needs reconnect"]')
    expect(await page.textContent("#events")).toContain("DART: must reconnect (InvalidGrant)")
  }, 60_000)

  it("no code, state, token or cookie value in any page's HTML or in the app's output", async () => {
    const params = requested.flatMap((url) => {
      const query = new URL(url).searchParams
      return [query.get("state"), query.get("code")].filter((v): v is string => v !== null)
    })
    // The tokens still stored: read straight from the SQLite database's files (plain text, no encryption key).
    const stored = readdirSync(tokenDir)
      .filter((file) => file.startsWith("grants.db"))
      .flatMap((file) => readFileSync(join(tokenDir, file), "latin1").match(/uc_(?:at|rt)_[\w-]+/g) ?? [])
    const cookies = (await context.cookies()).map((cookie) => cookie.value)
    const secrets = [...new Set([...params, ...stored, ...cookies])].filter((s) => s.length >= 16)
    // A state and a code per connect, tokens of the merchants still stored, and the browser's CSRF cookie.
    expect(params.length).toBeGreaterThanOrEqual(8)
    expect(stored.length).toBeGreaterThanOrEqual(2)
    expect(pages.length).toBeGreaterThanOrEqual(10)
    const output = app.output()
    expect(output).toContain("Sent HTTP response")
    const everything = [...pages, output]
    for (const secret of secrets) {
      expect({ secret, leaked: everything.some((text) => text.includes(secret)) }).toEqual({ secret, leaked: false })
    }
    // Nothing shaped like one of the fake's codes or tokens either.
    expect(everything.join("\n")).not.toMatch(/uc_(?:at|rt|code)_/)
  })
})
