/**
 * A local stand-in for the parts of Stripe's API the paid API calls (`POST /v1/customers`,
 * `POST /v1/checkout/sessions`, `POST /v1/billing_portal/sessions`), so tests never reach the network: the Stripe client is pointed at
 * it through `STRIPE_API_URL`. It records each request (path, form fields, auth header) and
 * answers the objects Stripe would, with made-up ids. Events are signed by the tests themselves
 * with `stripe.webhooks.generateTestHeaderString`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly fields: URLSearchParams;
}

export interface StripeStandIn {
  readonly url: string;
  readonly requests: StandInRequest[];
  close(): Promise<void>;
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const requests: StandInRequest[] = [];
  let n = 0;
  const customers = new Map<string, string>(); // idempotency key → id
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const fields = new URLSearchParams(body);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      requests.push({
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        idempotencyKey,
        fields,
      });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++n}` });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'POST' && path === '/v1/customers') {
        const id = (idempotencyKey && customers.get(idempotencyKey)) || `cus_standin_${++n}`;
        if (idempotencyKey) customers.set(idempotencyKey, id);
        return send(200, { id, object: 'customer', email: fields.get('email'), metadata: {} });
      }
      /** A new `object` with this `id`, the `asked` fields as sent, its URL (`url` then the id), and `more`. */
      const created = (id: string, object: string, asked: string[], url: string, more = {}) => {
        const echoed = Object.fromEntries(asked.map((name) => [name, fields.get(name)]));
        return send(200, { id, object, ...echoed, url: `${url}${id}`, ...more });
      };
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const asked = ['mode', 'customer', 'client_reference_id'];
        const more = { status: 'open' };
        return created(`cs_test_${++n}`, 'checkout.session', asked, 'https://checkout.stripe.test/c/pay/', more);
      }
      if (req.method === 'POST' && path === '/v1/billing_portal/sessions') {
        const asked = ['customer', 'return_url'];
        return created(`bps_test_${++n}`, 'billing_portal.session', asked, 'https://billing.stripe.test/p/session/');
      }
      send(404, { error: { type: 'invalid_request_error', message: `no stand-in for ${req.method} ${path}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
