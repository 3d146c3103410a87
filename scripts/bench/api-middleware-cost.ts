// The API server's CPU per request with hono's secureHeaders and bodyLimit as middleware, and with the security headers
// set by the node server under the app and the body limit reading node's request (api/serve-api.ts,
// api/body-limit.ts; docs/performance.md, thirteenth pass). A JSON POST and a GET, served in a child process:
//
//   npx tsx scripts/bench/api-middleware-cost.ts [requests per round, default 4000]
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { requestBodyLimit } from '../../api/body-limit';
import { serveApi } from '../../api/serve-api';
import type { App } from '../../api/app';
import { sendHttp } from '../../runtime/http-client';

const CONCURRENT = 4;
const LIMIT = 2 * 1024 * 1024;
const MODES = ['middleware', 'server'] as const;
type Mode = (typeof MODES)[number];

function routes(app: Hono): Hono {
  return app
    .post('/orders', async (c) => c.json({ id: 'ord_1', received: Object.keys(await c.req.json()).length }, 201))
    .get('/orders/:id', (c) => c.json({ id: c.req.param('id'), status: 'completed' }));
}

async function serveMode(mode: Mode): Promise<void> {
  const tooLarge = (): never => {
    throw new Error('payload too large');
  };
  const app = new Hono();
  let port: number;
  if (mode === 'middleware') {
    app.use(secureHeaders({ xFrameOptions: 'DENY', contentSecurityPolicy: { frameAncestors: ["'none'"] } }));
    app.use(bodyLimit({ maxSize: LIMIT, onError: tooLarge }));
    const server = serve({ fetch: routes(app).fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  } else {
    app.use(requestBodyLimit(LIMIT, tooLarge));
    const server = await serveApi(routes(app) as unknown as App, { port: 0, hostname: '127.0.0.1' });
    port = (server.address() as AddressInfo).port;
  }
  process.on('message', () => {
    const used = process.cpuUsage();
    process.send?.({ cpuMs: (used.user + used.system) / 1000 });
  });
  process.send?.({ port });
}

async function measure(): Promise<void> {
  const requests = Number(process.argv[2] ?? 4000);
  const body = JSON.stringify({ lines: [{ occurrence_id: 'occ_1', quantity: 1 }], booker: { email: 'a@example.com' } });
  const headers = { 'Content-Type': 'application/json' };
  for (const round of [1, 2]) {
    for (const mode of MODES) {
      const child = fork(fileURLToPath(import.meta.url), ['serve', mode], { execArgv: ['--import', 'tsx'] });
      const ask = () =>
        new Promise<Record<string, number>>((resolve) => child.once('message', (m) => resolve(m as never)));
      try {
        const { port } = await ask();
        const base = `http://127.0.0.1:${port}`;
        const send = async (i: number) => {
          const answer =
            i % 2 === 0
              ? await sendHttp(`${base}/orders`, { method: 'POST', headers, body, timeoutMs: 5_000 })
              : await sendHttp(`${base}/orders/ord_${i}`, { method: 'GET', timeoutMs: 5_000 });
          if (answer.status >= 300) throw new Error(`answer ${answer.status}`);
        };
        for (let i = 0; i < 1000; i += 1) await send(i); // warm-up: V8 optimises the server's hot paths
        child.send('cpu');
        const before = (await ask()).cpuMs!;
        await Promise.all(
          Array.from({ length: CONCURRENT }, async (_, w) => {
            for (let i = w; i < requests; i += CONCURRENT) await send(i);
          }),
        );
        child.send('cpu');
        const perRequest = ((await ask()).cpuMs! - before) / requests;
        console.log(`round ${round} ${mode}: server ${perRequest.toFixed(3)} ms CPU per request (half POST, half GET)`);
      } finally {
        child.kill();
      }
    }
  }
}

if (process.argv[2] === 'serve') await serveMode(process.argv[3] as Mode);
else await measure();
