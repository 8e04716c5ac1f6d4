// Run in the fresh project (Node): the packed testing package's loopback fake, for the runtimes' smoke tests.
// Prints `listening <baseUrl>` and serves until its standard input closes.
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Effect, Scope } from "effect"

const scope = Effect.runSync(Scope.make())
const fake = await Effect.runPromise(Scope.extend(FakeUltraCartServer.make(), scope))
console.log(`listening ${fake.baseUrl}`)
process.stdin.resume()
process.stdin.on("end", () => {
  Effect.runPromise(Scope.close(scope, Effect.exitVoid)).then(() => process.exit(0))
})
