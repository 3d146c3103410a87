import { exitOnConfigError, loadConfig, requireConfig } from '../runtime/config';
import { createDb } from './database';
import { migrateDownAll, migrateToLatest } from './migrate';

// `npm run migrate` (up to latest) · `npm run migrate -- down-all` (drops everything; dev only)
async function main(): Promise<void> {
  const config = requireConfig(loadConfig(), ['DATABASE_URL']);
  const db = createDb(config.DATABASE_URL, { maxConnections: 2 });
  try {
    if (process.argv[2] === 'down-all') {
      await migrateDownAll(db);
      console.log('all migrations rolled back');
    } else {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  exitOnConfigError(error);
  console.error(error);
  process.exit(1);
});
