// How much quota is left, without spending any.
export async function quotaLeft(baseUrl: string, apiKey: string) {
  const res = await fetch(`${baseUrl}/api/2fa/usage`, { headers: { 'X-API-Key': apiKey } });
  const { data } = (await res.json()) as { data: Usage };
  // data = { plan: 'pro', limits: { minute: { limit: 30, remaining: 29, reset: 31 }, hour: {...}, day: {...}, month: {...} } }
  // An unlimited window is { limit: null, remaining: null, reset: null }.
  return data;
}

interface Usage {
  plan: string;
  limits: Record<
    'minute' | 'hour' | 'day' | 'month',
    { limit: number | null; remaining: number | null; reset: number | null }
  >;
}
