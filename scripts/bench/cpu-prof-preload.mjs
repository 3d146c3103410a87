// Loaded through NODE_OPTIONS="--import …" by `npm run bench -- --cpu-prof` (node refuses
// --cpu-prof in NODE_OPTIONS): profiles the API and the worker with the inspector and writes a
// .cpuprofile into BENCH_CPU_PROF_DIR when the process exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
const role = process.argv.some((a) => a.includes('api/server.ts'))
  ? 'api'
  : process.argv.some((a) => a.includes('activities/worker.ts'))
    ? 'worker'
    : undefined;

if (dir && role) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // Same-thread sessions answer synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path.join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
