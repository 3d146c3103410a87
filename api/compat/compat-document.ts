import type { CompatAdapter } from './compat-adapter';

/** Our field errors (`code`, `message`, `field`), which several platforms' error answers carry next to their own. */
export const fieldErrorsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['code', 'message'],
    properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
  },
};

/**
 * The second OpenAPI document (`/compat/openapi.json`): every compatibility route, one tag per platform,
 * so each platform's users see what they can call. Kept apart from `/openapi.json`, whose contract is
 * ours; these routes' contract is the other platform's documentation (docs/compatibility.md).
 */
export function compatDocument(adapters: readonly CompatAdapter[], serverUrl: string): object {
  const paths: Record<string, unknown> = {};
  for (const adapter of adapters) {
    for (const [path, item] of Object.entries(adapter.paths)) {
      const operations: Record<string, unknown> = {};
      for (const [method, operation] of Object.entries(item)) {
        operations[method] = { tags: [adapter.tag.name], ...(operation as object) };
      }
      paths[`/compat/${adapter.prefix}${path}`] = operations;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order orchestrator: compatibility routes',
      version: '1.0.0',
      description:
        "Other platforms' order calls, answered in their own shapes, so an existing client moves by changing " +
        'its base URL and key. Each route places or reads an ordinary /v1 order (see /openapi.json). ' +
        'Migration guide per platform: docs/compatibility.md.',
    },
    servers: [{ url: serverUrl }],
    tags: adapters.map((adapter) => adapter.tag),
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        Bearer: { type: 'http', scheme: 'bearer' },
        Basic: { type: 'http', scheme: 'basic', description: 'The password is the API key.' },
        QueryKey: { type: 'apiKey', in: 'query', name: 'apikey' },
      },
    },
    paths,
  };
}
