import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../runtime/temporal-dev-server';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/search-attributes';

// Compose's one-shot `temporal-namespace` registers the search attributes with a shell loop; an
// attribute the workflows upsert but the loop misses fails every workflow task that sets it.

describe('docker-compose.yml', () => {
  it('registers every search attribute the workflows use, with its type', () => {
    const compose = readFileSync(path.join(import.meta.dirname, '../../docker-compose.yml'), 'utf8');
    const list = /^\s*attributes="([^"]+)"$/m.exec(compose);
    expect(list, 'the temporal-namespace registration list').not.toBeNull();
    const registered = Object.fromEntries(
      list![1]!
        .trim()
        .split(/\s+/)
        .map((entry) => entry.split(':')),
    );
    expect(registered).toEqual(SEARCH_ATTRIBUTE_REGISTRATIONS);
  });

  it("tunes its Temporal server as the launcher tunes the dev server (the queues' checkpoints, partitions)", () => {
    const compose = readFileSync(path.join(import.meta.dirname, '../../docker-compose.yml'), 'utf8');
    const shared = Object.keys(DEV_SERVER_DYNAMIC_CONFIG).filter(
      (name) => name.startsWith('history.') || name.startsWith('matching.'),
    );
    expect(shared.length).toBeGreaterThanOrEqual(5);
    for (const name of shared) {
      const value = new RegExp(`^\\s*${name.replaceAll('.', '\\.')}:\\n\\s*- value: (.+)$`, 'm').exec(compose)?.[1];
      expect(value, name).toBe(String(JSON.parse(DEV_SERVER_DYNAMIC_CONFIG[name]!)));
    }
    expect(compose).toMatch(/^\s*GOGC: \$\{TEMPORAL_GOGC:-400\}$/m);
  });
});
