import { openMysqlStore } from './mysql.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export type { Store } from './types.ts';
export { StoreError } from './types.ts';

/**
 * Opens the store a URL names: `sqlite:<path>` (or `sqlite::memory:`) for the
 * embedded default, `mysql://user:pass@host:port/db` for MySQL or MariaDB.
 * Nothing is created until `migrate()` runs. Error messages name the URL's
 * scheme, never the whole URL, which may hold a password.
 */
export function createStore(url: string): Store {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new Error(
      'the store URL has no scheme: use sqlite:<path>, sqlite::memory: or mysql://user:pass@host:port/db'
    );
  }
  if (scheme === 'sqlite') return openSqliteStore(sqlitePath(url.slice('sqlite:'.length)));
  if (scheme === 'mysql') {
    checkMysqlUrl(url);
    return openMysqlStore(url);
  }
  throw new Error(`unsupported store URL scheme "${scheme}:": use sqlite: or mysql://`);
}

/** `sqlite:data/sentra.db`, `sqlite:/var/lib/sentra.db` and `sqlite:///var/lib/sentra.db` all name a file. */
function sqlitePath(rest: string): string {
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '') throw new Error('a sqlite: store URL needs a file path or :memory: after the scheme');
  return path;
}

function checkMysqlUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the mysql: store URL is malformed: use mysql://user:pass@host:port/db');
  }
  if (parsed.hostname === '') throw new Error('the mysql: store URL names no host: use mysql://user:pass@host:port/db');
  if (parsed.pathname.length <= 1) {
    throw new Error('the mysql: store URL names no database: use mysql://user:pass@host:port/db');
  }
}
