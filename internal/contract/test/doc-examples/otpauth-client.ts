// Generate with TOTP options: explicit parameters, or the otpauth:// URI from the QR code.
export async function codeFor(baseUrl: string, apiKey: string) {
  const headers = { 'X-API-Key': apiKey, 'Content-Type': 'application/json' };
  const explicit = await fetch(`${baseUrl}/api/2fa/generate`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ secret: 'JBSWY3DPEHPK3PXP', digits: 8, period: 60, algorithm: 'SHA256' }),
  });
  const fromUri = await fetch(`${baseUrl}/api/2fa/generate`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      secret: 'otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&digits=8&period=60&algorithm=SHA256&issuer=Acme',
    }),
  });
  // Both answer the same code. A parameter that contradicts the URI (say digits: 6 here) is a 400
  // with data: { parameter: 'digits' }.
  const codeOf = async (res: Response) => ((await res.json()) as { data: { code: string } }).data.code;
  return [await codeOf(explicit), await codeOf(fromUri)];
}
