// A small, deliberately conservative email address check (pure; safe in workflow sandboxes).
//
// Not a full RFC 5321/5322 parser: it accepts what people actually type — `local@domain.tld` —
// and rejects what is almost certainly a typo or an injection attempt. Rules:
//  - at most 254 characters in total, no whitespace or control characters, exactly one "@";
//  - local part: 1..64 characters from letters, digits and !#$%&'*+/=?^_`{|}~.- (Unicode letters
//    allowed for internationalised addresses), not starting or ending with "." and no "..";
//  - domain: at least two dot-separated labels of 1..63 letters/digits/hyphens (no leading or
//    trailing hyphen), the last one (the TLD) at least 2 characters and not all digits.
// Callers trim before checking; surrounding whitespace is rejected here.

/** Maximum length of an address in a forward or reverse path (RFC 5321 §4.5.3.1.3). */
export const MAX_EMAIL_LENGTH = 254;

const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]{1,64}$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** True for a plausible `local@domain.tld` address (see the rules above). */
export function isValidEmail(value: string): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EMAIL_LENGTH) return false;
  if (/[\s\p{Cc}]/u.test(value)) return false;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;

  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return false;
  }

  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  const tld = labels[labels.length - 1] ?? '';
  return tld.length >= 2 && !/^\d+$/.test(tld);
}
