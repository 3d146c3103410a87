// CI check: no line of a *.ts file is longer than the formatter's lineWidth (biome.json: 120). Biome does
// not break strings, template literals or comments, so such lines survive `biome format` and are caught here.
//   npx tsx scripts/check-line-length.ts
// Prints every offending line as `path:line: length` and exits 1 if there is any, 0 otherwise.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const MAX_LENGTH = 120;
const root = path.resolve(import.meta.dirname, '..');
const SKIPPED_DIRECTORIES = [
  'node_modules',
  '.venv-temporal',
  '.venv-schemathesis',
  '.data',
  '.test-data',
  '.git',
  'test/workflow/histories',
];

function skipped(relative: string): boolean {
  return SKIPPED_DIRECTORIES.some(
    (dir) => relative === dir || relative.startsWith(`${dir}/`) || relative.includes(`/node_modules/`),
  );
}

/** The *.ts files git knows (tracked or new, not ignored); undefined outside a git work tree. */
function gitFiles(): string[] | undefined {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.ts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\0').filter((f) => f !== '');
  } catch {
    return undefined;
  }
}

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (skipped(relative)) continue;
    if (entry.isDirectory()) walk(relative, out);
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(relative);
  }
  return out;
}

const files = (gitFiles() ?? walk('', []))
  .map((f) => f.split(path.sep).join('/'))
  .filter((f) => f.endsWith('.ts') && !skipped(f))
  .sort();

let offending = 0;
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // Characters as a reader (and awk) counts them, not UTF-16 code units.
    const length = [...(lines[i] ?? '')].length;
    if (length > MAX_LENGTH) {
      console.log(`${file}:${i + 1}: ${length}`);
      offending++;
    }
  }
}

if (offending > 0) {
  console.error(`${offending} line(s) longer than ${MAX_LENGTH} characters in *.ts files`);
  process.exit(1);
}
