import { z } from '@hono/zod-openapi';
import { XMLBuilder } from 'fast-xml-parser';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';

// XML for clients that ask for it (facility- and venue-booking APIs answer XML; their clients
// move to us with XML parsers). JSON stays the one shape every route builds and stores (an
// idempotent replay keeps its JSON bytes); XML is a rendering of that JSON at the edge, so both
// always carry the same content. Problems stay application/problem+json whatever was asked
// (docs/xml.md).

export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** Content negotiation between JSON (the default) and XML: the higher q wins, JSON on a tie. */
export function wantsXml(accept: string | undefined): boolean {
  if (!accept) return false;
  let json = -1;
  let xml = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part
      .trim()
      .toLowerCase()
      .split(';')
      .map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (Number.isNaN(q)) continue;
    if (type === 'application/xml' || type === 'text/xml') xml = Math.max(xml, q);
    else if (type === 'application/json' || type === 'application/*' || type === '*/*') json = Math.max(json, q);
  }
  return xml > 0 && xml > json;
}

/**
 * The element of one item of an array, by the array's key: an array is a wrapper element with
 * one child per item (`<lines><line>…</line></lines>`), so an empty array is an empty element and
 * a parser can be told which names repeat. Arrays not named here have `<item>` children.
 */
export const XML_ITEM_NAMES: Readonly<Record<string, string>> = {
  lines: 'line',
  participants: 'participant',
  payments: 'payment',
  documents: 'document',
  timeline: 'event',
  reservations: 'reservation',
  vat_summary: 'vat',
  discount_breakdown: 'discount',
  campaign_codes: 'code',
  errors: 'error',
  roles: 'role',
};

export interface XmlShape {
  /**
   * Top-level arrays written as repeated elements right under the root, without a wrapper
   * (`{ data: 'order' }`: the order list's `<orders><order>…</order>…</orders>`, as it always was).
   */
  repeated?: Readonly<Record<string, string>>;
}

// An XML 1.0 name we are willing to write: JSON keys that are not (a digit first, a space, "@") become
// <entry key="…">, so no stored text can make the document malformed.
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Characters XML 1.0 cannot carry at all, even escaped; lone surrogates included.
const NOT_XML_CHAR = new RegExp(
  [
    '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]',
    '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])',
    '(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]',
  ].join('|'),
  'g',
);

/** A text XML 1.0 can carry: what it cannot, even escaped, becomes U+FFFD (every XML answer uses this). */
export function xmlSafeText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

const builder = new XMLBuilder({
  format: true,
  indentBy: '  ',
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
});

function scalar(value: string | number | boolean | bigint): string | number | boolean {
  if (typeof value === 'string') return xmlSafeText(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** null → empty element: every tag is always there, so clients read fixed paths without checking for absence. */
function node(value: unknown, key: string): unknown {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '';
    return { [XML_ITEM_NAMES[key] ?? 'item']: value.map((item) => node(item, 'item')) };
  }
  if (typeof value === 'object') return element(value as Record<string, unknown>);
  return scalar(value as string | number | boolean);
}

function element(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const entries: unknown[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    if (XML_NAME.test(key) && !/^xml/i.test(key)) {
      out[key] = node(value, key);
      continue;
    }
    const content = node(value, 'item');
    const keyAttr = { '@_key': scalar(key) };
    entries.push(
      content !== null && typeof content === 'object' ? { ...keyAttr, ...content } : { ...keyAttr, '#text': content },
    );
  }
  if (entries.length > 0) out.entry = entries;
  return out;
}

/** The XML document of a JSON answer, under `root`. */
export function xmlDocument(root: string, body: unknown, shape: XmlShape = {}): string {
  let content: unknown;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const top: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const itemName = shape.repeated?.[key];
      if (itemName && Array.isArray(value)) top[itemName] = value.map((item) => node(item, 'item'));
      else Object.assign(top, element({ [key]: value }));
    }
    content = top;
  } else {
    content = node(body, root);
  }
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: content });
}

/**
 * Route middleware: when the client prefers XML, the route's JSON answer (any 2xx the handler or
 * a stored idempotent answer sent as application/json) is sent as XML under `root` instead.
 * Problems (application/problem+json) are left as they are. Every answer varies by Accept.
 */
export function xmlWhenAsked(root: string, shape: XmlShape = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.header('Vary', 'Accept', { append: true });
    await next();
    const res = c.res;
    const type = res.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type) || !wantsXml(c.req.header('accept'))) return;
    const xml = xmlDocument(root, await res.json(), shape);
    const headers = new Headers(res.headers);
    headers.set('Content-Type', XML_CONTENT_TYPE);
    headers.delete('Content-Length');
    // Unset first: Hono's setter would copy the JSON answer's headers (its length) onto the new one.
    c.res = undefined;
    c.res = new Response(xml, { status: res.status, headers });
  };
}

/** The OpenAPI content entry of a route's XML answer: a string with an example document. */
export function xmlContent(example: string) {
  return { 'application/xml': { schema: z.string().openapi({ example }) } };
}
