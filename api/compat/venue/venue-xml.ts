import { XMLBuilder } from 'fast-xml-parser';
import { xmlSafeText } from '../../xml-responses';

// Their answers as XML (invoice export, voucher lookup): the JSON answer's fields as elements, in
// the same names, so a client reads the same fields whichever format it asked for.

const xmlBuilder = new XMLBuilder({ format: true, indentBy: '  ', ignoreAttributes: false, suppressEmptyNode: false });

/** Element name of one item of each list: <lines><line>…</line></lines>. */
const ITEM_NAMES: Readonly<Record<string, string>> = { lines: 'line', invoice: 'invoice' };

/** null → empty element, so every tag is there; a list holds one element per item. */
function forXml(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    const items = value.map((item) => forXml(item));
    return key === 'invoice' ? items : { [ITEM_NAMES[key] ?? 'item']: items };
  }
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forXml(v, k)]));
  }
  return typeof value === 'string' ? xmlSafeText(value) : value;
}

export function venueXml(root: string, value: Record<string, unknown>): string {
  return xmlBuilder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: forXml(value) });
}

/** Whether the client asks for XML (`Accept: application/xml` before any JSON). */
export function wantsXml(accept: string | undefined): boolean {
  if (!accept) return false;
  const xml = accept.search(/application\/xml|text\/xml/i);
  const json = accept.search(/application\/json/i);
  return xml >= 0 && (json < 0 || xml < json);
}
