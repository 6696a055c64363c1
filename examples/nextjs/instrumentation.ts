/** Runs once when the server starts: the kit (and its Redis connection) is ready before the first request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') await (await import('./lib/twofa')).kit();
}
