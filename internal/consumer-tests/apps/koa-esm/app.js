// ES module: a Koa 3 app with @koa/router and its own @koa/bodyparser.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { staticKeys, twoFaRouter } from '@twofa-kit/koa';
import Koa from 'koa';

const app = new Koa();
const twoFa = twoFaRouter({ resolveKey: staticKeys({ [process.env.API_KEY]: 'free' }) });
app.use(twoFa.errorHandler); // before the body parser: its errors under /api/2fa, in the envelope
app.use(bodyParser());

const host = new Router();
host.get('/health', (ctx) => {
  ctx.body = { status: 'ok' };
});
app.use(host.routes()).use(host.allowedMethods());
app.use(twoFa.routes()).use(twoFa.allowedMethods()); // POST /api/2fa/generate, ...

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
