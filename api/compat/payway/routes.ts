import { createResourceApp } from '../../resource-app';
import type { CallApi } from '../call-api';

export function paywayRoutes(_callApi: CallApi) {
  return createResourceApp();
}
