import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Browser from "../src/Browser.js"

// A verification URI chosen by a server, with everything cmd.exe, a shell or an option parser would act on.
const url = 'https://ultracart.test/device?user_code=AB&calc.exe|x^y%PATH%"q"'

describe("Browser.opener", () => {
  it("gives the URL as one argv element, unchanged, with no shell on any platform", () => {
    const platforms: ReadonlyArray<readonly [NodeJS.Platform, string, ReadonlyArray<string>]> = [
      ["win32", "rundll32", ["url.dll,FileProtocolHandler", url]],
      ["darwin", "open", [url]],
      ["linux", "xdg-open", [url]],
      ["freebsd", "xdg-open", [url]]
    ]
    for (const [platform, command, args] of platforms) {
      const [actualCommand, actualArgs] = Browser.opener(url, platform)
      expect([platform, actualCommand, actualArgs]).toEqual([platform, command, args])
      expect(actualCommand).not.toMatch(/^(cmd|sh|bash|powershell|pwsh)(\.exe)?$/i)
    }
  })

  it.effect("opens only absolute http(s) URLs, as the URL parser serializes them", () =>
    Effect.gen(function* () {
      expect(yield* Browser.checkUrl(url)).toBe("https://ultracart.test/device?user_code=AB&calc.exe|x^y%PATH%%22q%22")
      for (const refused of [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "-a Calculator",
        "ms-settings:",
        "\\\\host\\share",
        "not a url"
      ]) {
        const error = yield* Effect.flip(Browser.open(refused))
        expect([refused, error._tag, error.message]).toEqual([refused, "BrowserOpenError", expect.any(String)])
        expect(error.message).toMatch(/^Did not open the browser/)
      }
    })
  )
})
