// Installs the pinned schemathesis from PyPI into .venv-schemathesis (idempotent); the OpenAPI
// conformance test (test/integration/openapi-conformance.test.ts) runs it.
import { installSchemathesisIntoVenv } from '../runtime/schemathesis-cli';

console.log(`schemathesis CLI: ${installSchemathesisIntoVenv()}`);
