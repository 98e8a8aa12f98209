import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openSqliteStore } from '../../../backend/src/store/sqlite.ts';
import { storeSuite } from './store-suite.ts';

storeSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentra-store-'));
  const file = join(dir, 'sentra.db');
  return {
    open: () => openSqliteStore(file),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
