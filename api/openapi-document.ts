import { FREE_TEXT_KEYS } from './request-rules';
import { FREE_TEXT, PRINTABLE_TEXT } from './schemas/common';

// The OpenAPI document states the rules request-rules.ts applies to every request, so that what the
// document allows is what the API accepts (test/integration/openapi-conformance.test.ts checks it):
// every text of a request — a path or query parameter, a string anywhere in a JSON body — that has
// no pattern, format or enum of its own gets a pattern without control characters (tab, line feed
// and carriage return allowed at or below the free-text keys), and every integer the safe-integer
// range zod's `.int()` checks unless it has bounds of its own. Schemas that responses use too are
// copied rather than changed, so the responses' description stays as it was. And the answers those
// shared rules give are listed on every operation they apply to: 400 (`control_character`) where a
// path or query parameter or a body is read, 413 and 415 where a JSON body is, 503
// (`dependency_unavailable`, `request_timeout`) everywhere but /health and /ready, which say it
// themselves.

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const REF_PREFIX = '#/components/schemas/';

function refName(schema: Json): string | undefined {
  const ref = schema.$ref;
  return typeof ref === 'string' && ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** Names of the component schemas reachable from `roots`. */
function reachable(roots: unknown[], components: Json): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!isObject(value)) return;
    const name = refName(value);
    if (name && !seen.has(name)) {
      seen.add(name);
      visit(components[name]);
    }
    Object.values(value).forEach(visit);
  };
  roots.forEach(visit);
  return seen;
}

function isUnconstrainedString(schema: Json): boolean {
  const type = schema.type;
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'));
  return isString && !('pattern' in schema) && !('format' in schema) && !('enum' in schema) && !('const' in schema);
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: `${REF_PREFIX}Problem` } } },
});
const SHARED_ANSWERS = {
  400: problem('A parameter or field failed its shape check, or contains a control character'),
  413: problem('Body too large'),
  415: problem('Body is not JSON'),
  503: problem(
    'PostgreSQL or Temporal unavailable, the request deadline passed, or (order creates) the API process is ' +
      'overloaded; retry after Retry-After',
  ),
} as const;

const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The document with the request rules stated (a copy; `document` is left as it is). */
export function describeRequestRules<T extends object>(document: T): T {
  const doc = structuredClone(document) as unknown as Json;
  const paths = (isObject(doc.paths) ? doc.paths : {}) as Record<string, Json>;
  const components = (
    isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {}
  ) as Json;
  const operations = Object.values(paths).flatMap((item) =>
    OPERATIONS.map((method) => item[method]).filter((op): op is Json => isObject(op)),
  );
  const sharedWithResponses = reachable(
    operations.map((op) => op.responses),
    components,
  );
  const original = structuredClone(components);
  // Whether each component schema constrained in place was constrained as free text.
  const constrained = new Map<string, boolean>();

  const constrain = (schema: unknown, freeText: boolean): unknown => {
    if (Array.isArray(schema)) return schema.map((item) => constrain(item, freeText));
    if (!isObject(schema)) return schema;
    const name = refName(schema);
    if (name) {
      const component = original[name];
      if (!isObject(component)) return schema;
      // Used by a response too, or already constrained for the other kind of text: constrained inline.
      if (sharedWithResponses.has(name)) return constrain(structuredClone(component), freeText);
      const mode = constrained.get(name);
      if (mode === undefined) {
        constrained.set(name, freeText);
        components[name] = constrain(component, freeText);
        return schema;
      }
      return mode === freeText ? schema : constrain(structuredClone(component), freeText);
    }
    const out: Json = { ...schema };
    if (isUnconstrainedString(out)) out.pattern = freeText ? FREE_TEXT : PRINTABLE_TEXT;
    // zod's .int() is a safe integer: say so where the schema names no bound of its own.
    if (out.type === 'integer') {
      if (!('maximum' in out) && !('exclusiveMaximum' in out)) out.maximum = Number.MAX_SAFE_INTEGER;
      if (!('minimum' in out) && !('exclusiveMinimum' in out)) out.minimum = Number.MIN_SAFE_INTEGER;
    }
    if (isObject(out.properties)) {
      out.properties = Object.fromEntries(
        Object.entries(out.properties).map(([key, value]) => [
          key,
          constrain(value, freeText || FREE_TEXT_KEYS.has(key)),
        ]),
      );
    }
    for (const key of ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
      if (key in out) out[key] = constrain(out[key], freeText);
    }
    return out;
  };

  for (const [route, item] of Object.entries(paths)) {
    for (const method of OPERATIONS) {
      const op = item[method];
      if (!isObject(op)) continue;
      if (!isObject(op.responses)) op.responses = {};
      const responses = op.responses as Json;
      const hasBody = isObject(op.requestBody);
      const readsInput = hasBody || (Array.isArray(op.parameters) && op.parameters.length > 0);
      const answers: (keyof typeof SHARED_ANSWERS)[] = [
        ...(readsInput ? [400 as const] : []),
        ...(hasBody ? [413 as const, 415 as const] : []),
        ...(route === '/health' || route === '/ready' ? [] : [503 as const]),
      ];
      for (const status of answers) responses[status] ??= SHARED_ANSWERS[status];
    }
  }

  for (const op of operations) {
    if (Array.isArray(op.parameters)) {
      op.parameters = op.parameters.map((parameter: unknown) =>
        isObject(parameter) && (parameter.in === 'path' || parameter.in === 'query') && isObject(parameter.schema)
          ? { ...parameter, schema: constrain(parameter.schema, false) }
          : parameter,
      );
    }
    const body = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content : undefined;
    for (const media of Object.values(body ?? {})) {
      if (isObject(media) && media.schema) media.schema = constrain(media.schema, false);
    }
  }
  return doc as unknown as T;
}
