import { staticKeys, type TwoFaEvent, twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';

// Count outcomes for metrics and log failures; events never carry the secret, the code or the key.
export function buildApp(keys: Record<string, string>, log: (line: string) => void) {
  const counts = new Map<string, number>();
  const onEvent = (e: TwoFaEvent) => {
    const name = `${e.route ?? 'none'} ${e.type} ${e.status}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (e.type === 'error') log(`2fa ${e.route} ${e.status} ${e.kind}: ${String(e.error)}`);
    else if (e.status >= 400) log(`2fa ${e.route} ${e.status} ${e.kind} identity=${e.identityId ?? '-'}`);
  };
  const router = twoFaRouter({ resolveKey: staticKeys(keys), onEvent });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  return { app, counts };
}
