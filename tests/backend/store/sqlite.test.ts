import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { openSqliteStore } from '../../../backend/src/store/sqlite.ts';
import { aPolicy, anAuditEntry } from '../../support/builders.ts';
import { storeSuite } from './store-suite.ts';

storeSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentra-store-'));
  const file = join(dir, 'sentra.db');
  return {
    open: () => openSqliteStore(file),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

test('a SQLite store on a first run makes its folder and writes ahead to a WAL file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentra-store-'));
  const file = join(dir, 'state', 'nested', 'sentra.db');
  const store = openSqliteStore(file);
  try {
    await store.migrate();
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry());

    assert.ok(existsSync(file));
    assert.ok(existsSync(`${file}-wal`));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
