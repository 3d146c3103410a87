import { createResourceApp } from '../../resource-app';
import type { CallApi } from '../call-api';

export function facilityRoutes(_callApi: CallApi) {
  return createResourceApp();
}
