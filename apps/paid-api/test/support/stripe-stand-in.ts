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
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const id = `cs_test_${++n}`;
        return send(200, {
          id,
          object: 'checkout.session',
          mode: fields.get('mode'),
          customer: fields.get('customer'),
          client_reference_id: fields.get('client_reference_id'),
          url: `https://checkout.stripe.test/c/pay/${id}`,
          status: 'open',
        });
      }
      if (req.method === 'POST' && path === '/v1/billing_portal/sessions') {
        const id = `bps_test_${++n}`;
        return send(200, {
          id,
          object: 'billing_portal.session',
          customer: fields.get('customer'),
          return_url: fields.get('return_url'),
          url: `https://billing.stripe.test/p/session/${id}`,
        });
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
