/** What the multi-instance tests read from one POST /api/2fa/generate to an example process. */
export interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly contentType: string | null;
  readonly body: { code: number; message: string; data: Record<string, unknown> | null };
  /** Wall time of the request, ms. */
  readonly ms: number;
}

/** One generate request with `apiKey` against the example process at `base`. */
export async function generate(base: string, apiKey: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${base}/api/2fa/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': apiKey },
    body: 'secret=JBSWY3DPEHPK3PXP',
  });
  const body = (await res.json()) as Answer['body'];
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    contentType: res.headers.get('content-type'),
    body,
    ms: performance.now() - started,
  };
}
