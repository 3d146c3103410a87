// Rules for text bound for PostgreSQL and for people: shared by the HTTP boundary and the webhook intake.

/** The first control character's code in `value`, or undefined when there is none. */
export function controlCharacterIn(value: string, freeText = false): number | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20) {
      if (freeText && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
      return code;
    }
    if (code >= 0x7f && code <= 0x9f) return code;
  }
  return undefined;
}
