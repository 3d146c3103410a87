import type { CompatAdapter } from '../compat-adapter';
import { administrateRoutes } from './routes';

export const administrateAdapter: CompatAdapter = {
  prefix: 'administrate',
  tag: { name: 'Administrate (compat)', description: 'Not written yet.' },
  paths: {},
  routes: administrateRoutes,
};
