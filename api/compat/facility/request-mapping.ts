import { MAX_CAMPAIGN_CODES } from '../../../domain/campaign-codes';
import { parseFacilityXml } from './facility-xml';

// The facility platform's requests → what our /v1 routes take. Their clients send parameters on
// the URL (`PUT …/orders/{id}.xml?preliminary=false`) or as a form body; an XML body
// (`<order>…<items><item>…</item></items></order>`, their own answer's names) carries rows too.
// Pure: ids are resolved to ours by the routes.

export type Parameters = Map<string, string>;

/** One order row as their client names it: their product / occurrence ids, a date, a count, a name. */
export interface FacilityRow {
  productid?: string;
  occurrenceid?: string;
  date?: string;
  numberofproducts?: string;
  participant?: string;
  participantemail?: string;
}

export interface FacilityRequest {
  params: Parameters;
  rows: FacilityRow[];
}

export type Mapped<T> =
  | { ok: true; value: T }
  | { ok: false; status: 400 | 415 | 422 | 501; code: string; message: string };

const fail = (status: 400 | 415 | 422 | 501, code: string, message: string) => ({
  ok: false as const,
  status,
  code,
  message,
});

/** An order's lines at most (POST /v1/orders): more rows are refused before any is looked up. */
const MAX_ROWS = 50;

const ROW_FIELDS = ['productid', 'occurrenceid', 'date', 'numberofproducts', 'participant', 'participantemail'];

/** What each route reads; anything else is refused, as a misspelt parameter silently ignored is worse. */
export const CREATE_PARAMETERS = new Set([
  'currentbusinessunitid',
  'sellerid',
  'externalnote',
  'internalnote',
  'mark',
  'bringnotetoinvoice',
  'coupons',
  'orderedbyid',
  'customernumber',
  'name',
  'email',
  'phone',
  ...ROW_FIELDS,
]);
export const CHANGE_PARAMETERS = new Set([
  'preliminary',
  'mark',
  'externalnote',
  'internalnote',
  'bringnotetoinvoice',
  'coupons',
  ...ROW_FIELDS,
]);
export const LIST_PARAMETERS = new Set([
  'number',
  'businessunitids',
  'fromdate',
  'todate',
  'orderedbyid',
  'limit',
  'cursor',
]);
export const DELETE_PARAMETERS = new Set(['anonymous']);

function addParameter(params: Parameters, name: string, value: string): Mapped<Parameters> {
  if (params.has(name)) return fail(400, 'duplicate_parameter', `The parameter ${name} is given more than once`);
  params.set(name, value);
  return { ok: true, value: params };
}

/** An XML element's text, or undefined when it has children (a structure where text belongs). */
const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : value === null || value === undefined ? '' : undefined;

function rowsOfXml(items: unknown): Mapped<FacilityRow[]> {
  if (items === '' || items === undefined) return { ok: true, value: [] };
  const list = (items as { item?: unknown }).item;
  if (typeof items !== 'object' || items === null || !Array.isArray(list) || Object.keys(items).length !== 1) {
    return fail(400, 'invalid_xml', '<items> holds <item> elements only');
  }
  const rows: FacilityRow[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) return fail(400, 'invalid_xml', 'An <item> needs its fields');
    const row: Record<string, string> = {};
    for (const [name, value] of Object.entries(item)) {
      const text = textOf(value);
      if (!ROW_FIELDS.includes(name)) return fail(400, 'unknown_parameter', `An <item> has no field <${name}>`);
      if (text === undefined) return fail(400, 'invalid_xml', `<${name}> of an <item> must be text`);
      row[name] = text;
    }
    rows.push(row);
  }
  return { ok: true, value: rows };
}

function readXmlBody(text: string, params: Parameters): Mapped<FacilityRow[]> {
  const parsed = parseFacilityXml(text);
  if (!parsed.ok) return fail(400, 'invalid_xml', parsed.message);
  if (parsed.root !== 'order') return fail(400, 'invalid_xml', 'The XML body must be one <order> element');
  if (parsed.value === '') return { ok: true, value: [] };
  if (typeof parsed.value !== 'object' || parsed.value === null) {
    return fail(400, 'invalid_xml', '<order> holds its fields as elements');
  }
  let rows: FacilityRow[] = [];
  for (const [name, value] of Object.entries(parsed.value)) {
    if (name === 'items') {
      const mapped = rowsOfXml(value);
      if (!mapped.ok) return mapped;
      rows = mapped.value;
      continue;
    }
    const text = textOf(value);
    if (text === undefined || Array.isArray(value)) return fail(400, 'invalid_xml', `<${name}> must be text`);
    const added = addParameter(params, name, text);
    if (!added.ok) return added;
  }
  return { ok: true, value: rows };
}

/**
 * The request's parameters from the URL (`apikey` left out: it is the key) and the body (a form or
 * `<order>`), each name once, every name one the route reads; rows from the body's `<items>` or from
 * the row fields given as parameters (one row).
 */
export function readFacilityRequest(
  query: Record<string, string[]>,
  contentType: string,
  body: string,
  allowed: ReadonlySet<string>,
): Mapped<FacilityRequest> {
  const params: Parameters = new Map();
  for (const [name, values] of Object.entries(query)) {
    if (name === 'apikey') continue;
    if (values.length !== 1) return fail(400, 'duplicate_parameter', `The parameter ${name} is given more than once`);
    addParameter(params, name, values[0] ?? '');
  }
  let rows: FacilityRow[] = [];
  if (body.trim() !== '') {
    if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      for (const [name, value] of new URLSearchParams(body)) {
        if (name === 'apikey') continue;
        const added = addParameter(params, name, value);
        if (!added.ok) return added;
      }
    } else if (/^(application|text)\/xml\b/i.test(contentType)) {
      const read = readXmlBody(body, params);
      if (!read.ok) return read;
      rows = read.value;
    } else {
      return fail(415, 'unsupported_media_type', 'Send parameters as application/x-www-form-urlencoded or XML');
    }
  }
  for (const name of params.keys()) {
    if (!allowed.has(name)) return fail(400, 'unknown_parameter', `The parameter ${name} is not one this call reads`);
  }
  if (rows.length > MAX_ROWS) return fail(400, 'invalid_value', `An order takes at most ${MAX_ROWS} rows`);
  const rowParams = ROW_FIELDS.filter((name) => params.has(name));
  if (rowParams.length > 0) {
    if (rows.length > 0) return fail(400, 'invalid_value', 'Give the rows either as <items> or as parameters');
    rows = [Object.fromEntries(rowParams.map((name) => [name, params.get(name) as string]))];
    for (const name of rowParams) params.delete(name);
  }
  return { ok: true, value: { params, rows } };
}

/** `true` / `false` as their API writes booleans. */
export function booleanParameter(params: Parameters, name: string): Mapped<boolean | undefined> {
  const value = params.get(name);
  if (value === undefined) return { ok: true, value: undefined };
  if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
  return fail(400, 'invalid_value', `${name} must be true or false`);
}

/** `coupons=A,B`: the codes in order, blanks dropped; an empty string is no codes. */
export function couponList(value: string): Mapped<string[]> {
  const codes = value
    .split(',')
    .map((code) => code.trim())
    .filter((code) => code !== '');
  // Campaign codes and one voucher: more than an order can hold is refused before any is looked up.
  if (codes.length > MAX_CAMPAIGN_CODES + 1) return fail(400, 'invalid_value', 'coupons: too many codes');
  return { ok: true, value: codes };
}

/**
 * What we do not have: a seller other than the key's user, notes printed on invoices. Asked for,
 * they are refused (501) rather than silently dropped; `bringnotetoinvoice=false` is what we do.
 */
export function unsupportedParameter(params: Parameters): Mapped<undefined> {
  if (params.has('sellerid')) return fail(501, 'not_supported', 'sellerid: orders have no seller other than the key');
  const bring = booleanParameter(params, 'bringnotetoinvoice');
  if (!bring.ok) return bring;
  if (bring.value) return fail(501, 'not_supported', 'bringnotetoinvoice=true: notes are not printed on invoices');
  return { ok: true, value: undefined };
}

/** The notes part of our request: `mark`, `externalnote`, `internalnote`, as given. */
export function notesOf(params: Parameters): { mark?: string; external?: string; internal?: string } | undefined {
  const notes = {
    ...(params.has('mark') ? { mark: params.get('mark') } : {}),
    ...(params.has('externalnote') ? { external: params.get('externalnote') } : {}),
    ...(params.has('internalnote') ? { internal: params.get('internalnote') } : {}),
  };
  return Object.keys(notes).length ? notes : undefined;
}

/** "Jane Doe" → firstname Jane, lastname Doe (everything after the first word). */
export function participantName(name: string): { firstname: string; lastname: string } {
  const [firstname = '', ...rest] = name.trim().split(/\s+/);
  return { firstname, lastname: rest.join(' ') };
}

/** A row's count: their `numberofproducts`, a small positive whole number. */
export function rowQuantity(row: FacilityRow): Mapped<number | undefined> {
  if (row.numberofproducts === undefined) return { ok: true, value: undefined };
  if (!/^\d{1,4}$/.test(row.numberofproducts)) return fail(400, 'invalid_value', 'numberofproducts must be a count');
  return { ok: true, value: Number(row.numberofproducts) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Their list filters → GET /v1/orders's query. Their customer ID is ours when it is one of our
 * customer ids, else the booker's id in their system (`external_contact_id`, their customer number).
 * `businessunitids` is read and not applied: a key belongs to one tenant, which is one unit.
 */
export function toListQuery(params: Parameters): URLSearchParams {
  const query = new URLSearchParams();
  const copy = (theirs: string, ours: string) => {
    const value = params.get(theirs);
    if (value !== undefined) query.set(ours, value);
  };
  copy('number', 'number');
  copy('fromdate', 'created_from');
  copy('todate', 'created_to');
  copy('limit', 'limit');
  copy('cursor', 'cursor');
  const customer = params.get('orderedbyid');
  if (customer !== undefined) query.set(UUID.test(customer) ? 'customer_id' : 'external_contact_id', customer);
  return query;
}

export const isOurId = (value: string) => UUID.test(value);
