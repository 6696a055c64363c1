// Check a code a user typed, from any HTTP client (here: fetch).
export async function checkCode(baseUrl: string, apiKey: string, secret: string, code: string) {
  const res = await fetch(`${baseUrl}/api/2fa/verify`, {
    method: 'POST',
    headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ secret, code, window: '1' }),
  });
  const {
    code: status,
    message,
    data,
  } = (await res.json()) as Envelope<{ valid: boolean; delta: number | null; replayed: boolean }>;
  if (status !== 200) throw new Error(`${status} ${message}`);
  return data; // e.g. { valid: true, delta: -1, replayed: false }
}

/** Every answer under /api/2fa has this shape. */
interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}
