import type { CompatAdapter } from '../compat-adapter';
import { facilityRoutes } from './routes';

export const facilityAdapter: CompatAdapter = {
  prefix: 'facility',
  tag: { name: 'Facility booking (compat)', description: 'Not written yet.' },
  paths: {},
  routes: facilityRoutes,
};
