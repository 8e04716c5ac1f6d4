/**
 * Text from elsewhere made safe for a terminal. A server chooses the verification URI, the user code, error
 * descriptions, the merchant id and the scope the CLI prints; a stored file or a config value may hold anything.
 * Printed raw, an escape sequence in one of them can retitle the terminal, hide or rewrite earlier lines, plant a
 * clickable link (OSC 8), or on some terminals answer back into the shell's input; a line break can forge an
 * `error:` or `hint:` line. Every line the CLI prints goes through {@link text}; every outside value put into a
 * line goes through {@link line}.
 *
 * @since 0.2.0
 */

/**
 * Escape sequences in their 7-bit (`ESC …`) and 8-bit (C1) forms: CSI (`ESC [` / U+009B … final byte), OSC,
 * DCS, SOS, PM and APC strings up to their terminator (BEL, `ESC \` or ST) or the end of the text, and every
 * other `ESC` + intermediate bytes + final byte. What is left of a malformed one is removed as control
 * characters below.
 */
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)|\u001b[ -/]*[0-~]?/g

/**
 * C0 controls but tab and line feed, DEL, C1 controls, and the invisible direction marks and overrides that can
 * make a URL or a code display as something else (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const BREAKS = /[\t\n\u2028\u2029]+/g

/**
 * `s` without escape sequences and control characters; tabs and line feeds stay (a block of JSON keeps its lines).
 *
 * @since 0.2.0
 * @category utils
 */
export const text = (s: string): string => s.replace(ESCAPES, "").replace(CONTROLS, "")

/**
 * `s` as {@link text}, on one line: tabs and line breaks become one space, so an outside value cannot start a line
 * of its own.
 *
 * @since 0.2.0
 * @category utils
 */
export const line = (s: string): string => text(s).replace(BREAKS, " ")

// JSON.stringify escapes U+0000–U+001F itself; these it leaves raw.
const JSON_UNSAFE = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g

/**
 * `value` as indented JSON in which every character a terminal could act on is a `\uXXXX` escape: the data is
 * unchanged for a program that parses it, and inert on a screen.
 *
 * @since 0.2.0
 * @category utils
 */
export const json = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
