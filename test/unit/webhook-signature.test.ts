import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCE_SECONDS, signPayload, verifySignature } from '../../payments/webhook-signature';

const SECRET = 'whsec_current_0123456789abcdef';
const OLD_SECRET = 'whsec_previous_fedcba9876543210';
const BODY = JSON.stringify({
  id: 'evt_1',
  type: 'payment.succeeded',
  created: 1_700_000_000,
  data: { session_id: 'sbx_1', amount: 162_500, currency: 'nok' },
});
const NOW = 1_700_000_100;

function v1(secret: string, timestamp: number, body = BODY): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

describe('sandbox webhook signatures (Stripe-style t=…,v1=…)', () => {
  it('signs as t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    expect(signPayload(SECRET, BODY, NOW)).toBe(`t=${NOW},v1=${v1(SECRET, NOW)}`);
  });

  it('accepts a valid signature', () => {
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, NOW), BODY, NOW)).toEqual({ ok: true });
    // Within the tolerance on either side (clocks differ a little).
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, NOW - DEFAULT_TOLERANCE_SECONDS), BODY, NOW)).toEqual({
      ok: true,
    });
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, NOW + DEFAULT_TOLERANCE_SECONDS), BODY, NOW)).toEqual({
      ok: true,
    });
  });

  it('refuses a tampered body', () => {
    const header = signPayload(SECRET, BODY, NOW);
    const tampered = BODY.replace('162500', '100');
    expect(tampered).not.toBe(BODY);
    expect(verifySignature([SECRET], header, tampered, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    // Whitespace counts too: the raw bytes are what is signed, not the parsed JSON.
    expect(verifySignature([SECRET], header, `${BODY} `, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a timestamp more than 300 s off, even with a correct signature', () => {
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
    const stale = NOW - 301;
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, stale), BODY, NOW)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, NOW + 301), BODY, NOW)).toEqual({
      ok: false,
      reason: 'stale',
    });
    // A replay of yesterday's genuine delivery.
    expect(verifySignature([SECRET], signPayload(SECRET, BODY, NOW - 86_400), BODY, NOW)).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('refuses a signature made with another secret', () => {
    expect(verifySignature([SECRET], signPayload('whsec_someone_else', BODY, NOW), BODY, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    // The timestamp is part of what is signed: moving it breaks the signature.
    expect(verifySignature([SECRET], `t=${NOW + 1},v1=${v1(SECRET, NOW)}`, BODY, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  describe('secret rotation', () => {
    it('accepts either secret while both are configured', () => {
      expect(verifySignature([SECRET, OLD_SECRET], signPayload(SECRET, BODY, NOW), BODY, NOW)).toEqual({ ok: true });
      expect(verifySignature([SECRET, OLD_SECRET], signPayload(OLD_SECRET, BODY, NOW), BODY, NOW)).toEqual({
        ok: true,
      });
    });

    it('accepts a header with two v1 values when one of them matches', () => {
      const header = `t=${NOW},v1=${v1(OLD_SECRET, NOW)},v1=${v1(SECRET, NOW)}`;
      expect(verifySignature([SECRET], header, BODY, NOW)).toEqual({ ok: true });
      expect(verifySignature([OLD_SECRET], header, BODY, NOW)).toEqual({ ok: true });
      expect(verifySignature(['whsec_neither'], header, BODY, NOW)).toEqual({ ok: false, reason: 'mismatch' });
      // Unknown schemes (v0, a future v2) are ignored, not an error.
      expect(verifySignature([SECRET], `t=${NOW},v0=abc,v1=${v1(SECRET, NOW)},v2=def`, BODY, NOW)).toEqual({
        ok: true,
      });
    });

    it('refuses the old secret once it is removed', () => {
      expect(verifySignature([SECRET], signPayload(OLD_SECRET, BODY, NOW), BODY, NOW)).toEqual({
        ok: false,
        reason: 'mismatch',
      });
    });
  });

  it('refuses a missing or malformed header', () => {
    expect(verifySignature([SECRET], undefined, BODY, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature([SECRET], '', BODY, NOW)).toEqual({ ok: false, reason: 'missing' });
    const good = v1(SECRET, NOW);
    for (const header of [
      'garbage',
      `v1=${good}`, // no timestamp
      `t=${NOW}`, // no signature
      `t=${NOW},v1=`, // empty signature
      `t=abc,v1=${good}`, // timestamp not a number
      `t=${NOW}.5,v1=${good}`, // timestamp not an integer
      `${NOW},${good}`, // no keys
    ]) {
      expect(verifySignature([SECRET], header, BODY, NOW), header).toEqual({ ok: false, reason: 'malformed' });
    }
    // An empty timestamp is refused too (webhook-signature.ts reads it as 0, so it says 'stale').
    expect(verifySignature([SECRET], `t=,v1=${good}`, BODY, NOW).ok).toBe(false);
    // Well-formed but not hex of the right length: a mismatch, compared in constant time.
    expect(verifySignature([SECRET], `t=${NOW},v1=${good.slice(0, 10)}`, BODY, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature([SECRET], `t=${NOW},v1=${good.toUpperCase()}`, BODY, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('tolerates spaces after the commas', () => {
    expect(verifySignature([SECRET], `t=${NOW}, v1=${v1(SECRET, NOW)}`, BODY, NOW)).toEqual({ ok: true });
  });
});
