import { spawn } from 'node:child_process';

// `npm run test:model -- [options]`: runs the model-based test (test/model) with more runs, a
// given seed or a failure to replay. Options become the MODEL_* variables the test reads.
//
//   --runs N             runs (default 8 under `npm test`)
//   --max-commands N     longest command sequence (default 10)
//   --time-limit MS      stop runs and shrinking after this long (default: 20 s a run, at least 150 s)
//   --seed S --path P --replay-path R     replay a failure (printed with it)
//   --commands a,b       only these commands: create, pay, redeliver, change, attempt, cancel, invoice,
//                        late, approval, attendance, compat, subscribe, renew, subscription-cancel, pause,
//                        resume, dunning
//   --verbose            print every run's steps

const OPTIONS: Record<string, string> = {
  '--runs': 'MODEL_RUNS',
  '--max-commands': 'MODEL_MAX_COMMANDS',
  '--time-limit': 'MODEL_TIME_LIMIT_MS',
  '--seed': 'MODEL_SEED',
  '--path': 'MODEL_PATH',
  '--replay-path': 'MODEL_REPLAY_PATH',
  '--commands': 'MODEL_COMMANDS',
};

const env: NodeJS.ProcessEnv = { ...process.env };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const [name, inline] = arg.includes('=')
    ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
    : [arg, undefined];
  if (name === '--verbose') {
    env.MODEL_VERBOSE = '1';
    continue;
  }
  const variable = OPTIONS[name];
  const value = inline ?? args[++i];
  if (!variable || value === undefined) {
    console.error(`unknown option or missing value: ${arg}\noptions: ${Object.keys(OPTIONS).join(', ')}, --verbose`);
    process.exit(2);
  }
  env[variable] = value;
}
if (env.MODEL_RUNS && !env.MODEL_TIME_LIMIT_MS) {
  env.MODEL_TIME_LIMIT_MS = String(Math.max(150_000, Number(env.MODEL_RUNS) * 20_000));
}

const child = spawn('npx', ['vitest', 'run', 'test/model/orders.model.test.ts'], { stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
