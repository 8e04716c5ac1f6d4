import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { tempHome } from "./harness.js"

// The one spawned-process test: the real executable (bin → tsx → main.ts) logs in against its own fake.

const bin = fileURLToPath(new URL("../bin/ultracart-oauth.mjs", import.meta.url))

const spawn = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.async<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = execFile(process.execPath, [bin, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resume(
        Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
      )
    )
    return Effect.sync(() => child.kill())
  })

describe("ultracart-oauth (spawned)", () => {
  it.scoped(
    "login --fake logs in end to end and exits 0; a bad flag exits 2",
    () =>
      Effect.gen(function* () {
        const home = yield* tempHome
        const env = { PATH: process.env["PATH"] ?? "", HOME: home, XDG_CONFIG_HOME: `${home}/.config` }
        const login = yield* spawn(["login", "--fake", "--token-dir", `${home}/tokens`], env)
        expect(login.stderr).not.toContain("error:")
        expect(login.code).toBe(0)
        expect(login.stdout).toContain("/oauth/authorize?response_type=code&client_id=fake-ultracart-app")
        expect(login.stdout).toContain(`Logged in: grant "fake-ultracart-app" stored in ${home}/tokens`)
        const bad = yield* spawn(["status", "--nope"], env)
        expect(bad.code).toBe(2)
        expect(bad.stderr).toContain("--nope")
      }),
    { timeout: 60_000 }
  )
})
