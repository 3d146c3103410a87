// /proc readers for the bench: process tree, CPU seconds (utime + stime), RSS.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  user: string;
  comm: string;
  cmd: string;
}

let clkTck: number | undefined;
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export function listProcesses(): ProcInfo[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,user=,comm=,args='], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const rows: ProcInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, comm: m[4]!, cmd: m[5]! });
  }
  return rows;
}

export function descendants(rootPid: number, all = listProcesses()): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const result: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const child of byParent.get(pid) ?? []) {
      result.push(child);
      queue.push(child.pid);
    }
  }
  return result;
}

/** utime+stime (and cutime+cstime of reaped children) in seconds; undefined when the process is gone. */
export function cpuSeconds(pid: number, includeChildren = false): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command (which may contain spaces) start at field 3 (state).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const cutime = Number(rest[13]);
  const cstime = Number(rest[14]);
  return (utime + stime + (includeChildren ? cutime + cstime : 0)) / clockTicks();
}

/** VmRSS and VmHWM in bytes. */
export function memory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export type RoleName = 'api' | 'worker' | 'temporal' | 'postgres' | 'launcher' | 'bench';

export interface RolePids {
  api?: number;
  worker?: number;
  temporal?: number;
  launcher?: number;
}

/** Finds the roles among the launcher's descendants by their command line. */
export function findRolePids(launcherPid: number): RolePids {
  const all = listProcesses();
  const kids = descendants(launcherPid, all);
  const find = (re: RegExp) => kids.find((p) => re.test(p.cmd))?.pid;
  return {
    launcher: launcherPid,
    api: find(/api\/server\.ts/),
    worker: find(/activities\/worker\.ts/),
    temporal: find(/temporal\b.*server start-dev/),
  };
}

/**
 * CPU seconds of every PostgreSQL process: the machine's cluster (user postgres) or the
 * launcher's embedded one. The postmaster's cutime/cstime adds backends that exited meanwhile.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  const all = listProcesses().filter((p) => p.comm === 'postgres');
  const pids = new Set(all.map((p) => p.pid));
  for (const p of all) {
    const isPostmaster = !pids.has(p.ppid);
    total += cpuSeconds(p.pid, isPostmaster) ?? 0;
  }
  return total;
}

export interface CpuSnapshot {
  at: number;
  byRole: Record<string, number>;
}

export function snapshotCpu(pids: RolePids, extra: Record<string, number | undefined> = {}): CpuSnapshot {
  const byRole: Record<string, number> = {};
  for (const [role, pid] of Object.entries({ ...pids, ...extra })) {
    if (pid === undefined) continue;
    const s = cpuSeconds(pid);
    if (s !== undefined) byRole[role] = s;
  }
  byRole.postgres = postgresCpuSeconds();
  const self = process.cpuUsage();
  byRole.bench = (self.user + self.system) / 1e6;
  return { at: Date.now(), byRole };
}

/**
 * CPU seconds of the stack in a cpuDelta: every process but the bench's own, the launcher included (it supervises
 * the roles and runs the mail sink that stands in for the SMTP server).
 */
export function stackCpuSeconds(cpu: Record<string, number>): number {
  return Object.entries(cpu)
    .filter(([role]) => role !== 'bench')
    .reduce((sum, [, seconds]) => sum + seconds, 0);
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [role, value] of Object.entries(after.byRole)) {
    const start = before.byRole[role];
    if (start !== undefined) out[role] = value - start;
  }
  return out;
}

/**
 * Waits until the stack's processes are (nearly) idle, so that a baseline never runs while
 * the stack still works off a backlog. Returns the seconds waited.
 */
export async function waitForQuiet(
  pids: RolePids,
  options: { maxSeconds?: number; coresBelow?: number } = {},
): Promise<number> {
  const started = Date.now();
  const sum = () =>
    Object.entries(snapshotCpu(pids).byRole)
      .filter(([r]) => r !== 'bench')
      .reduce((a, [, s]) => a + s, 0);
  let last = sum();
  for (;;) {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = sum();
    if ((now - last) / 2 < (options.coresBelow ?? 0.15)) break;
    last = now;
    if (Date.now() - started > (options.maxSeconds ?? 120) * 1000) break;
  }
  return (Date.now() - started) / 1000;
}

/** Whole-machine CPU (from /proc/stat) and CPU pressure stall time: shows load from outside the bench. */
export interface MachineSnapshot {
  at: number;
  busySeconds: number;
  pressureSomeUs: number;
}

export function snapshotMachine(): MachineSnapshot {
  let busySeconds = 0;
  let pressureSomeUs = 0;
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    busySeconds = (user + nice + system + irq + softirq + steal) / clockTicks();
  } catch {
    // not Linux
  }
  try {
    pressureSomeUs = Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? 0);
  } catch {
    // no PSI
  }
  return { at: Date.now(), busySeconds, pressureSomeUs };
}
