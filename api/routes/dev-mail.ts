import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { html, raw } from 'hono/html';
import type { Db } from '../../db/database';
import { tenantMessageIds } from '../../db/queries/tenant-mail';
import { readSinkMessages, type SinkMessage } from '../../runtime/smtp-sink';
import type { AppEnv } from '../app-env';
import { presentedKey, resolveApiKey, useAuth } from '../auth';
import { ApiProblem, problems } from '../problem';
import { createResourceApp, type ResourceApp } from '../resource-app';

// What the demo "sent", read from the local SMTP sink's folder. Mounted only when DEV_ROUTES is
// on (the launcher turns it on). The mail holds live payment links, so even on a developer's
// machine it is shown only to a caller with an API key, only the key's tenant's messages, and
// only to loopback clients unless DEV_ROUTES_ALLOW_REMOTE says otherwise.

const DEV_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
const READ_SCOPE = 'orders:read';
const BASIC_REALM = 'Basic realm="Local mail: your API key as the password", charset="UTF-8"';

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * A loopback peer that forwards for someone else (a reverse proxy on the same host) is not a
 * loopback client: the forwarding headers say the request came from further away.
 */
function isLoopbackClient(c: Context<AppEnv>): boolean {
  if (c.req.header('x-forwarded-for') || c.req.header('forwarded') || c.req.header('x-real-ip')) return false;
  try {
    return isLoopbackAddress(getConnInfo(c).remote.address);
  } catch {
    // No socket to ask (the app called without a server): not provably local.
    return false;
  }
}

/** A browser can only send the key as Basic credentials: the password, else the user name. */
function basicCredential(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return (password || user).trim() || undefined;
}

function unauthorized(detail: string): ApiProblem {
  return new ApiProblem(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'WWW-Authenticate': BASIC_REALM });
}

const devGuard =
  (allowRemote: boolean): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (!allowRemote && !isLoopbackClient(c)) {
      throw new ApiProblem(
        403,
        'loopback_only',
        'Forbidden',
        'Development routes answer only clients on this machine (set DEV_ROUTES_ALLOW_REMOTE=true to change that)',
      );
    }
    const key = presentedKey((name) => c.req.header(name)) ?? basicCredential(c.req.header('authorization'));
    if (!key) throw unauthorized('An API key is required (X-API-Key, Bearer, or as the Basic password)');
    const auth = await resolveApiKey(c, key);
    if (!auth) throw unauthorized('The API key is unknown or revoked');
    useAuth(c, auth);
    if (!auth.scopes.has(READ_SCOPE)) throw problems.forbidden(READ_SCOPE);
    c.header('Cache-Control', 'no-store');
    await next();
  };

/**
 * The sink's messages that the tenant's outbox sent: every message carries the Message-ID its
 * outbox row was given, and that row names the tenant. A message no row claims is nobody's.
 */
async function tenantMessages(db: Db, dir: string, tenantId: string): Promise<SinkMessage[]> {
  const messages = await readSinkMessages(dir);
  const ids = [...new Set(messages.flatMap((m) => (m.messageId ? [m.messageId] : [])))];
  if (ids.length === 0) return [];
  const own = await tenantMessageIds(db, tenantId, ids);
  return messages.filter((m) => m.messageId !== undefined && own.has(m.messageId));
}

/** One caught message on the local mail page. */
function messageDetails(m: SinkMessage) {
  const to = m.to.join(', ');
  const received = m.receivedAt.toISOString();
  const attachments = m.attachments.map((a) => `${a.filename ?? 'unnamed'} (${a.contentType})`).join(', ');
  return html`<details><summary><b>${m.subject}</b> → ${to} <small>${received}</small></summary>
<pre>${m.text}</pre>${m.attachments.length ? html`<p>Attachments: ${attachments}</p>` : raw('')}</details>`;
}

/** GET /mail and /mail.json, to be mounted under /dev; every path there is behind devGuard. */

export function devMailRoutes(options: { mailSinkDir: string; allowRemote?: boolean }): ResourceApp {
  const dir = options.mailSinkDir;
  const app = createResourceApp();
  app.use('*', devGuard(options.allowRemote ?? false));
  app.get('/mail.json', async (c) => c.json(await tenantMessages(c.get('deps').db, dir, c.get('auth').tenantId)));
  app.get('/mail', async (c) => {
    const auth = c.get('auth');
    const messages = (await tenantMessages(c.get('deps').db, dir, auth.tenantId)).reverse();
    c.header('Content-Security-Policy', DEV_PAGE_CSP);
    return c.html(html`<!doctype html><html><head><meta charset="utf-8"><title>Local mail</title>
<style>body{font-family:system-ui;margin:2rem}details{border:1px solid #ccc;margin:.5rem 0;padding:.5rem}</style></head>
<body><h1>Mail of ${auth.tenantSlug} caught by the local SMTP sink (${messages.length})</h1><p>Files: ${dir}</p>
${messages.map(messageDetails)}
</body></html>`);
  });
  return app;
}
