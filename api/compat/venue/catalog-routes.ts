import type { Context, Hono, MiddlewareHandler } from 'hono';
import { tenantPricesIncludeVat } from '../../../db/queries/compat-venue';
import type { AppEnv } from '../../app-env';
import { type CallApi, callOurApi } from '../call-api';
import { refuse, relayProblem } from './error-mapping';
import { toMajor } from './order-answer-mapping';

// Catalogue reads: our products (GET /v1/catalog/products) in their product shape. Their ids are
// the products' external ids where set, else ours. `languageCode` is accepted and ignored: our
// catalogue has one language.

interface OurProduct {
  id: string;
  type: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  vat_rate: number;
  daily_capacity: number | null;
  active: boolean;
  external_id: string | null;
}

const PRODUCT_TYPES: ReadonlySet<string> = new Set([
  'course',
  'ticket',
  'facility_slot',
  'subscription',
  'item',
  'voucher',
]);
/** Pages of 200 read for one answer: their list is unpaged; a catalogue beyond this is cut, not paged. */
const MAX_PAGES = 10;

function toVenueProduct(p: OurProduct, pricesIncludeVat: boolean) {
  const rate = p.vat_rate / 100;
  const inclVat = pricesIncludeVat ? p.price : Math.round(p.price * (1 + rate));
  const vat = inclVat - Math.round(inclVat / (1 + rate));
  const id = p.external_id ?? p.id;
  return {
    id,
    name: p.name,
    label: id,
    productType: p.type,
    priceInclVat: toMajor(inclVat, p.currency),
    vat: toMajor(vat, p.currency),
    vatPercentage: p.vat_rate,
    currencyCode: p.currency.toUpperCase(),
    hasInventoryPerDate: p.daily_capacity !== null,
    appData: { header: p.name, description: p.description, image: null },
    properties: {},
  };
}

async function listProducts(c: Context<AppEnv>, callApi: CallApi, filter: Record<string, string>) {
  const products: OurProduct[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ ...filter, limit: '200', ...(cursor ? { cursor } : {}) });
    const response = await callOurApi(c, callApi, 'GET', `/v1/catalog/products?${query}`);
    if (!response.ok) return { ok: false as const, response };
    const body = (await response.json()) as { data: OurProduct[]; next_cursor: string | null };
    products.push(...body.data);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return { ok: true as const, products: products.filter((p) => p.active) };
}

export function addCatalogRoutes(routes: Hono<AppEnv>, callApi: CallApi, auth: MiddlewareHandler<AppEnv>) {
  const products = async (c: Context<AppEnv>) => {
    const productType = c.req.query('productType');
    // A type of theirs we do not have (e.g. "seasoncard") has no products here.
    if (productType && !PRODUCT_TYPES.has(productType)) return c.json([], 200);
    const listed = await listProducts(c, callApi, productType ? { type: productType } : {});
    if (!listed.ok) return relayProblem(c, listed.response);
    const pricesIncludeVat = await tenantPricesIncludeVat(c.get('deps').db, c.get('auth').tenantId);
    return c.json(
      listed.products.map((p) => toVenueProduct(p, pricesIncludeVat)),
      200,
    );
  };
  // Their document writes the list with a trailing slash (`/catalog/products/?…`): both are taken.
  routes.get('/catalog/products', auth, products);
  routes.get('/catalog/products/', auth, products);

  // Their document gives this call no id parameter; we take it in the path or as ?id=.
  const oneProduct = async (c: Context<AppEnv>, id: string | undefined) => {
    if (!id) return refuse(c, 400, 'product_id_missing', 'Name the product: /catalog/product/{id} or ?id=');
    const listed = await listProducts(c, callApi, { external_id: id });
    if (!listed.ok) return relayProblem(c, listed.response);
    let product = listed.products[0];
    if (!product) {
      const all = await listProducts(c, callApi, {});
      if (!all.ok) return relayProblem(c, all.response);
      product = all.products.find((p) => p.id === id);
    }
    if (!product) return refuse(c, 404, 'not_found', `Unknown product ${id}`);
    const pricesIncludeVat = await tenantPricesIncludeVat(c.get('deps').db, c.get('auth').tenantId);
    return c.json(toVenueProduct(product, pricesIncludeVat), 200);
  };
  routes.get('/catalog/product', auth, (c) => oneProduct(c, c.req.query('id')));
  routes.get('/catalog/product/', auth, (c) => oneProduct(c, c.req.query('id')));
  routes.get('/catalog/product/:id', auth, (c) => oneProduct(c, c.req.param('id')));
}
