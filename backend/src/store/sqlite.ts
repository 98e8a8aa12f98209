import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

import type { Row } from './rows.ts';
import { MIGRATIONS, SQLITE_MIGRATIONS_TABLE } from './schema.ts';
import type { SqlDriver, SqlSession } from './sql-store.ts';
import { SqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

/**
 * The embedded store: one SQLite file (or `:memory:`), so that a first run
 * needs no database server. Uses Node's built-in `node:sqlite`, which Node
 * still calls experimental and warns about once when it is first loaded; the
 * module is loaded only when a SQLite store is opened.
 */
export function openSqliteStore(path: string): Store {
  return new SqlStore(new SqliteDriver(path));
}

function turnsFor(path: string): Turns {
  if (path === ':memory:') return new Turns();
  const file = resolve(path);
  let turns = turnsByFile.get(file);
  if (!turns) {
    turns = new Turns();
    turnsByFile.set(file, turns);
  }
  return turns;
}

/** How long a write waits for another process's write to finish before giving up. */
const BUSY_TIMEOUT_MS = 5_000;

/** One queue of turns per database file in this process; see `SqliteDriver`. */
class Turns {
  #last: Promise<unknown> = Promise.resolve();

  take<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#last.then(work);
    this.#last = turn.catch(() => undefined);
    return turn;
  }
}

const turnsByFile = new Map<string, Turns>();

/**
 * SQLite calls are synchronous but the store's methods are not: a method that
 * awaits between two statements would let another method's statements slip
 * into its transaction. So every method takes its turn in one queue, and each
 * write method runs in one `BEGIN IMMEDIATE` transaction, which also takes
 * the file's write lock up front so that another process cannot interleave.
 *
 * Two stores on the same file in one process share the queue: otherwise one
 * would wait for the file's lock inside a synchronous call, blocking the very
 * thread that would finish the other's transaction. The file is known by its
 * resolved path; two different paths to one file (a symbolic link) are not
 * recognised as the same and would wait out the busy timeout instead.
 */
class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite';
  readonly session: SqlSession;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #direct: SqlSession;
  readonly #turns: Turns;

  constructor(path: string) {
    if (path === '') throw new Error('a SQLite store needs a file path or :memory:');
    this.#turns = turnsFor(path);
    // A first run makes the folder its database file lives in.
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    this.#db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.#db.exec('PRAGMA journal_mode = WAL');
    // Every decision must survive a power cut before traffic moves.
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#direct = {
      all: async (sql, params = []) => this.#prepare(sql).all(...params) as Row[],
      run: async (sql, params = []) => {
        const result = this.#prepare(sql).run(...params);
        return { changes: Number(result.changes), insertId: Number(result.lastInsertRowid) };
      },
    };
    this.session = {
      all: (sql, params) => this.#inTurn(() => this.#direct.all(sql, params)),
      run: (sql, params) => this.#inTurn(() => this.#direct.run(sql, params)),
    };
  }

  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    return this.#inTurn(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.#direct);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async migrate(): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run(SQLITE_MIGRATIONS_TABLE);
      const rows = await tx.all('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => Number(row['version'])));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.sqlite) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  uniqueViolation(error: unknown): string | null {
    if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'ERR_SQLITE_ERROR') return null;
    const match = /^UNIQUE constraint failed: (.+)$/.exec(error.message);
    return match?.[1] ?? null;
  }

  /** Nothing to do: `BEGIN IMMEDIATE` already lets one writer at a time commit. */
  async lockEvents(): Promise<void> {}

  async close(): Promise<void> {
    await this.#inTurn(async () => {
      if (this.#db.isOpen) this.#db.close();
    });
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.#turns.take(work);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
