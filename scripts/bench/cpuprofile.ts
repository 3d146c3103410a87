// Summarises the .cpuprofile files `--cpu-prof` leaves behind: self time per function and per
// package, so the report names what the CPU was spent on.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function packageOf(url: string): string {
  if (!url) return '(native/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const project = url.match(/\/(api|activities|db|domain|workflows|runtime|scripts)\/.*/);
  return project ? `project ${project[1]}/` : url.replace(/^file:\/\//, '').slice(-60);
}

export function summariseProfiles(dir: string, top = 12): string {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return `no profiles in ${dir}`;
  }
  const lines: string[] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
    let total = 0;
    let idle = 0;
    const byFunction = new Map<string, number>();
    const byPackage = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node) continue;
      const name = node.callFrame.functionName || '(anonymous)';
      if (name === '(idle)' || name === '(program)') {
        if (name === '(idle)') idle += us;
      }
      total += us;
      if (name === '(idle)') continue;
      const location = node.callFrame.url ? `${packageOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
      const key = `${name} ${location}`.trim();
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const pkg =
        name === '(garbage collector)' ? '(gc)' : name === '(program)' ? '(program)' : packageOf(node.callFrame.url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    }
    const busy = total - idle;
    const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`;
    lines.push(`${file}: ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s sampled`);
    lines.push(
      `  by package: ${[...byPackage.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => `${k} ${pct(v)}`)
        .join(', ')}`,
    );
    for (const [k, v] of [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
      lines.push(`    ${pct(v).padStart(6)}  ${k}`);
  }
  return lines.join('\n');
}
