import { HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import { Credentials, type OAuthClient, RequestOutcome } from "../src/index.js"

const request = HttpClientRequest.post("https://secure.ultracart.com/rest/v2/oauth/token")
const transport = (cause: unknown) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
const withCode = (code: string) => Object.assign(new Error(code), { code })

describe("RequestOutcome.ofHttpClientError", () => {
  it("a refused connection or unresolved name was never sent, also when wrapped by fetch", () => {
    for (const code of RequestOutcome.notSentCodes) {
      expect(RequestOutcome.ofHttpClientError(transport(withCode(code)))).toBe("NotSent")
      expect(
        RequestOutcome.ofHttpClientError(transport(new TypeError("fetch failed", { cause: withCode(code) })))
      ).toBe("NotSent")
    }
  })

  it("a reset, a timeout after sending or an unknown failure may have reached the server", () => {
    expect(RequestOutcome.ofHttpClientError(transport(withCode("ECONNRESET")))).toBe("Unknown")
    expect(RequestOutcome.ofHttpClientError(transport(withCode("UND_ERR_HEADERS_TIMEOUT")))).toBe("Unknown")
    expect(RequestOutcome.ofHttpClientError(transport(new Error("no code")))).toBe("Unknown")
  })

  it("an encoding or URL failure was never sent; a failure reading the body was", () => {
    expect(RequestOutcome.ofHttpClientError(new HttpClientError.RequestError({ request, reason: "Encode" }))).toBe(
      "NotSent"
    )
    expect(RequestOutcome.ofHttpClientError(new HttpClientError.RequestError({ request, reason: "InvalidUrl" }))).toBe(
      "NotSent"
    )
    const response = HttpClientResponse.fromWeb(request, new Response("{}"))
    expect(
      RequestOutcome.ofHttpClientError(new HttpClientError.ResponseError({ request, response, reason: "Decode" }))
    ).toBe("Unknown")
  })
})

describe("OAuthClientOptions.credentials", () => {
  it("takes an API key, and refuses a bearer at compile time (the OAuth endpoints take keys, /oauth/me its own bearer)", () => {
    const key = Credentials.simpleKey(Redacted.make("k"))
    const ok: OAuthClient.OAuthClientOptions = { clientId: "c", credentials: key }
    expect(ok.credentials?._tag).toBe("SimpleKey")
    // @ts-expect-error a bearer token is not an API key
    const bad: OAuthClient.OAuthClientOptions = { clientId: "c", credentials: Credentials.bearer(Redacted.make("t")) }
    expect(bad.credentials?._tag).toBe("Bearer")
  })
})
