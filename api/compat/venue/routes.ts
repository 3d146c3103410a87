import { createResourceApp } from '../../resource-app';
import type { CallApi } from '../call-api';

export function venueRoutes(_callApi: CallApi) {
  return createResourceApp();
}
