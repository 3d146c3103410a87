import type { App } from '../app';

// Filled by the catalogue admin work (products, occurrences, exchange rates, campaigns, vouchers).
export function registerCatalogAdminRoutes(_app: App): void {}
