// CommonJS: an Express 5 app with its own body parsers.
const express = require('express');
const { staticKeys, twoFaRouter } = require('@twofa-kit/express');

const app = express();
app.use(express.json(), express.urlencoded({ extended: false }));
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});

const twoFa = twoFaRouter({ resolveKey: staticKeys({ [process.env.API_KEY]: 'free' }) });
app.use(twoFa); // POST /api/2fa/generate, ...
app.use(twoFa.errorHandler); // the body parsers' errors under /api/2fa, in the envelope

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
