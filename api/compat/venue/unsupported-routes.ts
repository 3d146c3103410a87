import type { Context, Hono } from 'hono';
import type { AppEnv } from '../../app-env';
import { refuse } from './error-mapping';

// Their calls that an order backend does not take, answered 501 in their shape (not 404: the
// path is theirs and known, the feature is not ours). Registered before authentication, so a
// client learns this even before its key is set up. Why each is out: docs/compatibility/venue.md.

const CUSTOMER_ACCOUNTS =
  'Customer accounts, logins and customer tokens are not part of this API: the shop authenticates ' +
  'its customers itself and calls us with its API key (customer records are kept by email; see ' +
  'POST /v1/customers)';

export const UNSUPPORTED: readonly { paths: string[]; code: string; reason: string }[] = [
  {
    paths: ['/customer', '/customer/*', '/customergroup'],
    code: 'customer_accounts_not_supported',
    reason: CUSTOMER_ACCOUNTS,
  },
  {
    paths: ['/loyalty/*'],
    code: 'loyalty_not_supported',
    reason: 'Loyalty barcodes and points are not kept by this API',
  },
  {
    paths: ['/config/*'],
    code: 'configuration_not_supported',
    reason: "The shop's address fields and geofences are the shop's configuration, not the order backend's",
  },
  {
    paths: ['/catalog/categories'],
    code: 'categories_not_supported',
    reason: 'Our catalogue has product types, not categories: use GET /catalog/products?productType=',
  },
  {
    paths: ['/test/*'],
    code: 'demo_endpoints_not_supported',
    reason: 'Their demo endpoints demonstrate their own datatypes; they have no counterpart here',
  },
];

export function addUnsupportedRoutes(routes: Hono<AppEnv>) {
  for (const { paths, code, reason } of UNSUPPORTED) {
    const answer = (c: Context<AppEnv>) => refuse(c, 501, code, reason);
    for (const path of paths) routes.all(path, answer);
  }
}
