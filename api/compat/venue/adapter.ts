import type { CompatAdapter } from '../compat-adapter';
import { venueRoutes } from './routes';

export const venueAdapter: CompatAdapter = {
  prefix: 'venue',
  tag: { name: 'Venue Manager (compat)', description: 'Not written yet.' },
  paths: {},
  routes: venueRoutes,
};
