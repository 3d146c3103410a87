import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { findFreePort } from '../../runtime/free-port';
import { type RoleEntry, roleNodeArguments } from '../../runtime/role-command';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';

// The production entry points as real child processes (`node [--require <preload>] --import tsx <entry>`, what the
// Dockerfile and scripts/dev-stack.ts run), and a tiny HTTP load balancer in front of the APIs:
// what PUBLIC_BASE_URL points at when several APIs run.

export interface RoleProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout and stderr so far (the last 256 KiB). */
  output(): string;
  /** Resolves when the process has exited (with the time it did). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  alive(): boolean;
}

const OUTPUT_LIMIT = 256 * 1024;

export function spawnRole(name: string, entry: RoleEntry, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, roleNodeArguments(entry), {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal, at: Date.now() });
    }),
  );
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  const role: RoleProcess = { name, pid: child.pid, child, output: () => output, exited, alive: () => !done };
  return role;
}

/** Waits until `check` is true, failing with the process's output when it exits first. */
export async function waitForRole(role: RoleProcess, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!role.alive()) throw new Error(`${role.name} exited early:\n${role.output().slice(-4000)}`);
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`${role.name} not ready in ${timeoutMs} ms:\n${role.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Balancer {
  url: string;
  /** Requests each upstream answered. */
  served: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Round-robin over the upstreams; an upstream that refuses or drops the connection before it
 * answers is skipped and the next one tried (nginx's `proxy_next_upstream error`). Bodies are
 * small here, so each request is buffered to be sent again.
 */
export async function startBalancer(upstreams: { name: string; port: number }[]): Promise<Balancer> {
  const port = await findFreePort();
  const served = new Map<string, number>();
  let next = 0;
  const forward = (upstream: { port: number }, req: http.IncomingMessage, body: Buffer) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: false,
        },
        resolve,
      );
      request.on('error', reject);
      request.end(body);
    });
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const start = next++;
    for (let i = 0; i < upstreams.length; i++) {
      const upstream = upstreams[(start + i) % upstreams.length]!;
      try {
        const answer = await forward(upstream, req, body);
        served.set(upstream.name, (served.get(upstream.name) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      } catch {
        // refused or reset before an answer: the next upstream
      }
    }
    res.writeHead(502, { 'Content-Type': 'text/plain' }).end('no upstream answered');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
