import type { CompatAdapter } from '../compat-adapter';
import { paywayRoutes } from './routes';

export const paywayAdapter: CompatAdapter = {
  prefix: 'payway',
  tag: { name: 'Payway (compat)', description: 'Not written yet.' },
  paths: {},
  routes: paywayRoutes,
};
