import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  file: string;
  receivedAt: Date;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId?: string;
  attachments: { filename?: string; contentType: string; size: number }[];
}

export interface SmtpSink {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A local SMTP server that accepts every message and keeps it on disk as an .eml file, so a
 * developer (GET /dev/mail) and the tests read exactly what went over a real SMTP connection.
 */
export async function startSmtpSink(options: { port: number; dir: string; host?: string }): Promise<SmtpSink> {
  mkdirSync(options.dir, { recursive: true });
  let counter = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        counter += 1;
        const name = `${Date.now()}-${process.pid}-${String(counter).padStart(6, '0')}.eml`;
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address).join(', ');
        // The envelope recipients go first as a header: Bcc recipients are not in the body.
        writeFileSync(
          path.join(options.dir, name),
          Buffer.concat([Buffer.from(`X-Envelope-To: ${envelopeTo}\r\n`), ...chunks]),
        );
        callback();
      });
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // smtp-server reports a client that drops its connection mid-message (a worker killed while sending) as the
  // server's own 'error' event; that is the client's problem, and unheard it would end this process.
  server.on('error', () => undefined);
  return {
    url: `smtp://${host}:${options.port}`,
    dir: options.dir,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Reads every message of a sink folder, oldest first. */
export async function readSinkMessages(dir: string): Promise<SinkMessage[]> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
  } catch {
    return [];
  }
  const messages: SinkMessage[] = [];
  for (const file of files) {
    const parsed = await simpleParser(readFileSync(path.join(dir, file)));
    const envelopeTo = parsed.headers.get('x-envelope-to');
    messages.push({
      file,
      receivedAt: parsed.date ?? new Date(0),
      from: parsed.from?.text ?? '',
      to:
        typeof envelopeTo === 'string'
          ? envelopeTo
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      messageId: parsed.messageId,
      attachments: parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
    });
  }
  return messages;
}
