/**
 * Opening a URL in the user's browser (`login --open`, `device-login --open`), without a shell on any OS: the URL
 * is one argument of the opener's argv, never part of a command line a shell or `cmd.exe` parses. Only `http` and
 * `https` URLs are opened; a device verification URI comes from a server.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { spawn } from "node:child_process"

/**
 * The browser could not be started, or the URL is not one to open; the caller prints the URL instead (so this is
 * only a warning).
 *
 * @since 0.1.0
 * @category errors
 */
export class BrowserOpenError extends Schema.TaggedError<BrowserOpenError>()("BrowserOpenError", {
  command: Schema.String,
  reason: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.reason === undefined
      ? `Could not start ${this.command} to open the browser`
      : `Did not open the browser: ${this.reason}`
  }
}

/**
 * The platform's opener and its argv, the URL as one element: `open` on macOS, `xdg-open` elsewhere, and on
 * Windows `rundll32 url.dll,FileProtocolHandler`, which hands the URL to the default browser without `cmd.exe`
 * (whose `start` would read `&`, `|`, `^` and `%` in the URL as its own syntax).
 *
 * @since 0.1.0
 * @category utils
 */
export const opener = (url: string, platform: NodeJS.Platform = process.platform): readonly [string, Array<string>] =>
  platform === "darwin"
    ? ["open", [url]]
    : platform === "win32"
      ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
      : ["xdg-open", [url]]

/**
 * The URL to hand to an opener: an absolute `http` or `https` URL, serialized by the URL parser (so it has no
 * space, quote or control character and cannot start with `-`); anything else is refused.
 *
 * @since 0.2.0
 * @category utils
 */
export const checkUrl = (url: string): Effect.Effect<string, BrowserOpenError> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Effect.fail(new BrowserOpenError({ command: "browser", reason: "the URL does not parse" }))
  }
  return parsed.protocol === "https:" || parsed.protocol === "http:"
    ? Effect.succeed(parsed.href)
    : Effect.fail(new BrowserOpenError({ command: "browser", reason: "only http and https URLs are opened" }))
}

/**
 * Starts the browser on `url`, detached, without waiting for it and without a shell.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (url: string): Effect.Effect<void, BrowserOpenError> =>
  Effect.flatMap(checkUrl(url), (href) => {
    const [command, args] = opener(href)
    return Effect.async<void, BrowserOpenError>((resume) => {
      const child = spawn(command, args, { detached: true, stdio: "ignore", shell: false, windowsHide: true })
      child.once("error", () => resume(Effect.fail(new BrowserOpenError({ command }))))
      child.once("spawn", () => {
        child.unref()
        resume(Effect.void)
      })
    })
  })
