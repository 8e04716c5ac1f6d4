import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { CliOutput } from "../src/index.js"
import { makeCapture } from "./harness.js"

describe("CliOutput.makeConsole", () => {
  it.effect("on a terminal, redraws the status line in place and keeps it below printed lines", () =>
    Effect.gen(function* () {
      const capture = yield* makeCapture
      const screen: Array<string> = []
      const output = CliOutput.makeConsole({ interactive: true, write: (text) => void screen.push(text) })
      yield* Effect.withConsole(
        Effect.gen(function* () {
          yield* output.status("checking 1")
          yield* output.status("checking 2")
          yield* output.out("a line")
          yield* output.endStatus
          yield* output.out("after")
        }),
        capture.console
      )
      expect(screen).toEqual(["\r\u001b[2Kchecking 1", "\r\u001b[2Kchecking 2", "\r\u001b[2K", "checking 2", "\n"])
      expect(capture.lines).toEqual([
        { stream: "out", text: "a line" },
        { stream: "out", text: "after" }
      ])
    })
  )

  it.effect("elsewhere, prints each status as a plain line and writes nothing raw", () =>
    Effect.gen(function* () {
      const capture = yield* makeCapture
      const screen: Array<string> = []
      const output = CliOutput.makeConsole({ interactive: false, write: (text) => void screen.push(text) })
      yield* Effect.withConsole(Effect.zipRight(output.status("waiting"), output.endStatus), capture.console)
      expect(screen).toEqual([])
      // Progress goes to stderr, so stdout carries only results (`--json | jq`).
      expect(capture.lines).toEqual([{ stream: "err", text: "waiting" }])
    })
  )
})
