// CPU per webhook-sized POST from this process, through the global fetch and through runtime/http-client.ts, against
// a local server in a child process (docs/performance.md, twelfth pass):
//
//   npx tsx scripts/bench/http-client-cost.ts [requests per round, default 4000]
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sendHttp } from '../../runtime/http-client';

const CONCURRENT = 4;

function serve(): void {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

async function measure(): Promise<void> {
  const requests = Number(process.argv[2] ?? 4000);
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number));
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it listened`)));
  });
  const url = `http://127.0.0.1:${port}/webhook`;
  const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', data: { session: 'x'.repeat(300) } });
  const headers = { 'Content-Type': 'application/json', 'X-Signature': 't=1,v1=abc' };
  const senders: Record<string, () => Promise<unknown>> = {
    fetch: async () => {
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
      return response.text();
    },
    'node:http': () => sendHttp(url, { method: 'POST', headers, body, timeoutMs: 5_000 }),
  };
  try {
    for (const round of [1, 2]) {
      for (const [name, send] of Object.entries(senders)) {
        for (let i = 0; i < 500; i += 1) await send(); // warm-up
        const before = process.cpuUsage();
        await Promise.all(
          Array.from({ length: CONCURRENT }, async () => {
            for (let i = 0; i < requests / CONCURRENT; i += 1) await send();
          }),
        );
        const used = process.cpuUsage(before);
        const perRequest = (used.user + used.system) / 1000 / requests;
        console.log(
          `round ${round} ${name}: ${perRequest.toFixed(3)} ms CPU per request (${requests}, ${CONCURRENT} at once)`,
        );
      }
    }
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'serve') serve();
else await measure();
