import { administrateAdapter } from './administrate/adapter';
import type { CompatAdapter } from './compat-adapter';
import { courseBookingAdapter } from './course-booking/adapter';
import { facilityAdapter } from './facility/adapter';
import { paywayAdapter } from './payway/adapter';
import { venueAdapter } from './venue/adapter';

/** Every compatibility adapter, in the order of the seeds (docs/compatibility.md). */
export const compatAdapters: readonly CompatAdapter[] = [
  courseBookingAdapter,
  administrateAdapter,
  paywayAdapter,
  facilityAdapter,
  venueAdapter,
];

/** The adapter a path belongs to (`/compat/<prefix>` or below it), if any. */
export function compatAdapterOf(path: string): CompatAdapter | undefined {
  if (!path.startsWith('/compat/')) return undefined;
  return compatAdapters.find(
    (adapter) => path === `/compat/${adapter.prefix}` || path.startsWith(`/compat/${adapter.prefix}/`),
  );
}
