import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { xmlSafeText } from '../../xml-responses';

// The facility platform's XML, both ways. Building goes through fast-xml-parser's builder, which
// escapes every text it writes; reading accepts only small, plain documents: no DOCTYPE, hence no
// entity of the sender's own (billion laughs, external entities), nothing the parser must expand.

/** Far above any order body their API takes (a handful of fields and rows). */
export const MAX_XML_BODY_CHARS = 64 * 1024;

/** An element's content: text, a number or boolean, nested elements, or repeated elements (an array). */
export type XmlValue = string | number | boolean | null | XmlElement | XmlElement[];
export interface XmlElement {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({
  format: true,
  indentBy: '  ',
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

function clean(value: XmlValue): unknown {
  if (value === null) return '';
  if (typeof value === 'string') return xmlSafeText(value);
  if (Array.isArray(value)) return value.map((item) => clean(item));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clean(item)]));
  }
  return value;
}

/** The document `<root>…</root>` with an XML declaration; null is an empty element. */
export function facilityXml(root: string, content: XmlElement | string): string {
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: clean(content) });
}

export type ParsedXml = { ok: true; root: string; value: unknown } | { ok: false; message: string };

/** Elements that may repeat in a request body: always read as lists, even when there is one. */
const REPEATED = new Set(['item']);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => REPEATED.has(name),
});

/**
 * A request body's XML, refused (never expanded) when it declares a DOCTYPE or entity, is not
 * well-formed, is too large or has more than one root element.
 */
export function parseFacilityXml(text: string): ParsedXml {
  if (text.length > MAX_XML_BODY_CHARS) {
    return { ok: false, message: `The XML body is larger than ${MAX_XML_BODY_CHARS} characters` };
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { ok: false, message: 'DOCTYPE and entity declarations are refused' };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, message: `The body is not well-formed XML: ${valid.err.msg}` };
  let document: Record<string, unknown>;
  try {
    document = parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    // The parser's own limits (nesting depth, entity expansion) end in a throw: a refusal, not a fault.
    return { ok: false, message: `The XML body is refused: ${error instanceof Error ? error.message : 'unreadable'}` };
  }
  const roots = Object.keys(document);
  const [root] = roots;
  if (roots.length !== 1 || root === undefined) return { ok: false, message: 'The XML body needs one root element' };
  return { ok: true, root, value: document[root] };
}
