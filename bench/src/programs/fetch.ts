/** The reference program: one code exchange with `fetch` by hand. */
export const run = async (baseUrl: string): Promise<string> => {
  const response = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: "bench-client",
      grant_type: "authorization_code",
      code: "c0de-1",
      redirect_uri: "https://app.example.com/oauth/callback"
    })
  })
  const tokens = (await response.json()) as { token_type?: unknown }
  return String(tokens.token_type)
}
