import { html, raw } from 'hono/html';
import type { App } from '../app';
import { readSinkMessages } from '../../runtime/smtp-sink';

/** Only mounted when the launcher runs the local SMTP sink: what the demo "sent". */
export function registerDevMailRoutes(app: App, dir: string): void {
  app.get('/dev/mail.json', async (c) => c.json(await readSinkMessages(dir)));
  app.get('/dev/mail', async (c) => {
    const messages = (await readSinkMessages(dir)).reverse();
    return c.html(html`<!doctype html><html><head><meta charset="utf-8"><title>Local mail</title>
<style>body{font-family:system-ui;margin:2rem}details{border:1px solid #ccc;margin:.5rem 0;padding:.5rem}</style></head>
<body><h1>Mail caught by the local SMTP sink (${messages.length})</h1><p>Files: ${dir}</p>
${messages.map((m) => html`<details><summary><b>${m.subject}</b> → ${m.to.join(', ')} <small>${m.receivedAt.toISOString()}</small></summary>
<pre>${m.text}</pre>${m.attachments.length ? html`<p>Attachments: ${m.attachments.map((a) => `${a.filename ?? 'unnamed'} (${a.contentType})`).join(', ')}</p>` : raw('')}</details>`)}
</body></html>`);
  });
}
