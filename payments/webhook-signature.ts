import { createHmac, timingSafeEqual } from 'node:crypto';

// Sandbox webhooks are signed like Stripe's: header `t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">`. Several v1 values may be present while a secret is being rotated.

export const SIGNATURE_HEADER = 'Sandbox-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signPayload(secret: string, rawBody: string, timestampSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifySignature(
  secrets: string[],
  header: string | undefined,
  rawBody: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const rawTimestamp = parts.find(([k]) => k === 't')?.[1] ?? '';
  const timestamp = /^\d{1,12}$/.test(rawTimestamp) ? Number(rawTimestamp) : Number.NaN;
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v as string);
  if (!Number.isInteger(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  for (const secret of secrets) {
    const expected = Buffer.from(
      createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex'),
      'utf8',
    );
    for (const candidate of signatures) {
      const given = Buffer.from(candidate, 'utf8');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
    }
  }
  return { ok: false, reason: 'mismatch' };
}
