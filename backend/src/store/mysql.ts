import { createHash } from 'node:crypto';

import { createPool } from 'mysql2/promise';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

import type { Row, SqlValue } from './rows.ts';
import { MIGRATIONS, MYSQL_MIGRATIONS_TABLE } from './schema.ts';
import type { SqlDriver, SqlSession } from './sql-store.ts';
import { SqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

/** The production store, on a MySQL (or MariaDB) database named in `url`: `mysql://user:pass@host:port/db`. */
export function openMysqlStore(url: string): Store {
  return new SqlStore(new MysqlDriver(url));
}

/** How long `migrate` waits for another process that is migrating the same database. */
const MIGRATE_LOCK_SECONDS = 60;

/**
 * Strict mode turns a value that does not fit its column into an error
 * instead of a silently truncated row, on every table engine.
 */
const SQL_MODE = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

type Queryable = Pick<Pool, 'query'>;

class MysqlDriver implements SqlDriver {
  readonly kind = 'mysql';
  readonly session: SqlSession;
  readonly #pool: Pool;
  #closed = false;

  constructor(url: string) {
    this.#pool = createPool({
      uri: url,
      connectionLimit: 10,
      // JSON columns come back as the text that was written; `rows.ts` decodes it.
      jsonStrings: true,
      supportBigNumbers: true,
    });
    // Runs on each new connection before the pool hands it out; one that cannot take the mode is dropped.
    this.#pool.pool.on('connection', (connection) => {
      connection.query(`SET SESSION sql_mode = '${SQL_MODE}'`, (error) => {
        if (error) connection.destroy();
      });
    });
    this.session = sessionOn(this.#pool);
  }

  /**
   * Runs `work` in one transaction. InnoDB may pick it as the victim of a
   * deadlock (or a lock wait timeout) when writers race, for instance on one
   * policy name; it has then written nothing, so it is run again, a bounded
   * number of times, before the error goes up.
   */
  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(work);
      } catch (error) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isRetryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
      }
    }
  }

  async #once<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    const connection = await this.#pool.getConnection();
    try {
      await connection.beginTransaction();
      const result = await work(sessionOn(connection));
      await connection.commit();
      connection.release();
      return result;
    } catch (error) {
      await rollBack(connection);
      throw error;
    }
  }

  /**
   * MySQL commits DDL statements on their own, so a transaction cannot keep
   * two processes from migrating at once; a named server lock per database
   * does, and the second process finds the work done when it gets the lock.
   */
  async migrate(): Promise<void> {
    const connection = await this.#pool.getConnection();
    try {
      const lock = await migrateLockName(connection);
      const [[got]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [
        lock,
        MIGRATE_LOCK_SECONDS,
      ]);
      if (got?.['got'] !== 1) {
        throw new Error(
          `another process held the migration lock for over ${MIGRATE_LOCK_SECONDS}s; migrate again later`
        );
      }
      try {
        await applyMigrations(connection);
      } finally {
        await connection.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      connection.release();
    }
  }

  uniqueViolation(error: unknown): string | null {
    if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 'ER_DUP_ENTRY')
      return null;
    const message = String((error as { sqlMessage?: unknown }).sqlMessage ?? '');
    return /for key '([^']+)'/.exec(message)?.[1] ?? 'unknown key';
  }

  /**
   * Event ids are the cursor clients read from, so a reader must never see id
   * 11 committed while id 10 is still to come. InnoDB hands out ids when rows
   * are inserted, not when they commit; taking this one row's lock first makes
   * event-writing transactions commit in the order their ids were handed out.
   */
  async lockEvents(tx: SqlSession): Promise<void> {
    await tx.all('SELECT id FROM event_lock WHERE id = 1 FOR UPDATE');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

function sessionOn(target: Queryable): SqlSession {
  return {
    all: async (sql, params = []) => {
      const [rows] = await target.query<RowDataPacket[]>(sql, params as SqlValue[]);
      return rows as Row[];
    },
    run: async (sql, params = []) => {
      const [result] = await target.query<ResultSetHeader>(sql, params as SqlValue[]);
      return { changes: result.affectedRows, insertId: result.insertId };
    },
  };
}

const DEADLOCK_ATTEMPTS = 5;

/** ER_LOCK_DEADLOCK and ER_LOCK_WAIT_TIMEOUT: the transaction was rolled back whole and may run again. */
function isRetryable(error: unknown): boolean {
  const errno = (error as { errno?: number }).errno;
  return errno === 1213 || errno === 1205;
}

/** A connection whose rollback fails is broken: it is dropped instead of going back to the pool. */
async function rollBack(connection: PoolConnection): Promise<void> {
  try {
    await connection.rollback();
    connection.release();
  } catch {
    connection.destroy();
  }
}

async function migrateLockName(connection: PoolConnection): Promise<string> {
  const [[row]] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  const database = row?.['db'];
  if (typeof database !== 'string')
    throw new Error('the MySQL URL names no database: use mysql://user:pass@host:port/db');
  // Lock names are server-wide and at most 64 characters long.
  return `sentra-migrate-${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

async function applyMigrations(connection: PoolConnection): Promise<void> {
  await connection.query(MYSQL_MIGRATIONS_TABLE);
  const [rows] = await connection.query<RowDataPacket[]>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((row) => Number(row['version'])));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.mysql) await connection.query(statement);
    await connection.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      migration.version,
      migration.name,
      Date.now(),
    ]);
  }
}
