// TypeScript (module: nodenext), compiled to CommonJS or to an ES module by the package's "type".
import { staticKeys, type TwoFaOptions, twoFaPlugin } from '@twofa-kit/fastify';
import Fastify from 'fastify';

const options: TwoFaOptions = { resolveKey: staticKeys({ [process.env.API_KEY ?? '']: 'free' }) };

const app = Fastify();
app.get('/health', async () => ({ status: 'ok' }));
app.register(twoFaPlugin, options); // POST /api/2fa/generate, ...

app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }).then(() => {
  const address = app.server.address();
  console.log(`listening on ${typeof address === 'object' && address !== null ? address.port : ''}`);
});
