/** The Debian Chromium the Dashboard's browser tests drive headless (playwright-core, `executablePath`). */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests run: without Chromium, throws under CI, else warns and skips. */
export function chromiumEnabled(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} not found: the Dashboard's browser tests need it (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${message}; refusing to skip under CI`);
  console.warn(`\n!!! SKIPPING ${message}\n`);
  return false;
}
