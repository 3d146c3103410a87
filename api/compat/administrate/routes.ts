import { createResourceApp } from '../../resource-app';
import type { CallApi } from '../call-api';

export function administrateRoutes(_callApi: CallApi) {
  return createResourceApp();
}
