import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { readSinkMessages, type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';

let sink: SmtpSink;
let port: number;

beforeAll(async () => {
  port = await findFreePort();
  sink = await startSmtpSink({ port, dir: mkdtempSync(path.join(tmpdir(), 'smtp-sink-')) });
});
afterAll(async () => sink.stop());

/** A client that starts a message and then vanishes, as a SIGKILLed worker does: the connection is reset. */
async function dropMidMessage(): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const said = (code: string) =>
    new Promise<void>((resolve) => {
      const onData = (data: Buffer) => {
        if (data.toString().includes(code)) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
  await said('220');
  socket.write('EHLO worker\r\n');
  await said('250');
  socket.write('MAIL FROM:<orders@example.com>\r\n');
  await said('250');
  socket.resetAndDestroy();
  await new Promise((resolve) => socket.once('close', resolve));
}

describe('the SMTP sink', () => {
  it('outlives clients that reset their connection mid-message, and keeps accepting mail', async () => {
    // Twice: the first reset once met a leftover listener from start-up, the second ended the process.
    await dropMidMessage();
    await dropMidMessage();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: 'orders@example.com',
      to: 'buyer@example.com',
      subject: 'still here',
      text: 'ok',
    });
    transport.close();
    const messages = await readSinkMessages(sink.dir);
    expect(messages.map((message) => message.subject)).toEqual(['still here']);
  });
});
