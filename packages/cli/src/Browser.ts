/**
 * Opening a URL in the user's browser, for `login --open`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { spawn } from "node:child_process"

/**
 * The browser could not be started; the URL is printed anyway, so this is only a warning.
 *
 * @since 0.1.0
 * @category errors
 */
export class BrowserOpenError extends Schema.TaggedError<BrowserOpenError>()("BrowserOpenError", {
  command: Schema.String
}) {
  override get message(): string {
    return `Could not start ${this.command} to open the browser`
  }
}

/**
 * The platform's opener and its arguments (`open` on macOS, `cmd /c start` on Windows, `xdg-open` elsewhere).
 *
 * @since 0.1.0
 * @category utils
 */
export const opener = (url: string, platform: NodeJS.Platform = process.platform): readonly [string, Array<string>] =>
  platform === "darwin"
    ? ["open", [url]]
    : platform === "win32"
      ? ["cmd", ["/c", "start", "", url.replace(/&/g, "^&")]]
      : ["xdg-open", [url]]

/**
 * Starts the browser on `url`, detached, without waiting for it. The URL is passed as an argument, never through
 * a shell.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (url: string): Effect.Effect<void, BrowserOpenError> => {
  const [command, args] = opener(url)
  return Effect.async<void, BrowserOpenError>((resume) => {
    const child = spawn(command, args, { detached: true, stdio: "ignore" })
    child.once("error", () => resume(Effect.fail(new BrowserOpenError({ command }))))
    child.once("spawn", () => {
      child.unref()
      resume(Effect.void)
    })
  })
}
