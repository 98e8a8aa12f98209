import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createStore } from '../../../backend/src/store/index.ts';
import { aPolicy, anAuditEntry } from '../../support/builders.ts';

test('a sqlite::memory: URL opens an embedded store that works at once after migrating', async () => {
  const store = createStore('sqlite::memory:');
  try {
    await store.migrate();
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry());

    assert.equal(store.kind, 'sqlite');
    assert.equal((await store.getPolicy('standard'))?.version, 1);
  } finally {
    await store.close();
  }
});

test('a mysql:// URL opens a MySQL store', async () => {
  const store = createStore('mysql://root@127.0.0.1:3306/test');

  assert.equal(store.kind, 'mysql');
  await store.close();
});

test('an unknown scheme is refused with an error naming the scheme and not the password', () => {
  assert.throws(
    () => createStore('postgres://admin:s3cret@db:5432/sentra'),
    (error: Error) => /"postgres:"/.test(error.message) && !error.message.includes('s3cret')
  );
});

test('URLs without a scheme, a sqlite path or a mysql database are refused with the reason', () => {
  assert.throws(() => createStore('/var/lib/sentra.db'), /no scheme/);
  assert.throws(() => createStore('sqlite:'), /needs a file path/);
  assert.throws(() => createStore('mysql://root:pw@127.0.0.1:3306'), /names no database/);
  assert.throws(() => createStore('mysql://root:pw@127.0.0.1:3306/'), /names no database/);
});
