/**
 * Sentra's tables, as numbered migrations written side by side for both
 * databases so that they stay alike. A migration, once released, is never
 * edited: a change to the schema is a new migration at the end of the list.
 *
 * Column names are the same in both dialects; `rows.ts` maps them to and from
 * the domain's objects. Times are epoch milliseconds. JSON columns hold text
 * written by `encodeJson`.
 *
 * SQLite applies a whole migration in one transaction. MySQL commits each DDL
 * statement on its own, so a migration interrupted half-way is run again from
 * its first statement: every MySQL statement must be safe to run twice.
 *
 * Only one live rollout per service: `live_service` is the service while the
 * rollout is progressing or paused and NULL once it has ended, and it is
 * unique. The database computes it from `phase`, so no writer can get round it
 * and two writers racing for the same service cannot both win.
 */

export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  mysql: string[];
}

const LIVE_SERVICE = `CASE WHEN phase IN ('progressing', 'paused') THEN service END`;

const SQLITE_INITIAL = [
  `CREATE TABLE IF NOT EXISTS policies (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS rollouts (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    baseline TEXT NOT NULL,
    canary TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    policy TEXT NOT NULL,
    traffic TEXT NOT NULL,
    phase TEXT NOT NULL,
    step_index INTEGER NOT NULL,
    step_started_at INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    revision INTEGER NOT NULL,
    tick_seq INTEGER NOT NULL,
    no_data_streak INTEGER NOT NULL,
    error_streak INTEGER NOT NULL,
    pause_reason TEXT,
    awaiting_resume INTEGER NOT NULL,
    gate_state TEXT NOT NULL,
    desired TEXT NOT NULL,
    applied TEXT,
    created_by TEXT NOT NULL,
    live_service TEXT GENERATED ALWAYS AS (${LIVE_SERVICE}) STORED,
    CONSTRAINT rollouts_live_service UNIQUE (live_service)
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS rollouts_by_start ON rollouts (started_at, id)`,
  `CREATE INDEX IF NOT EXISTS rollouts_by_service ON rollouts (service, started_at)`,
  `CREATE TABLE IF NOT EXISTS decisions (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    step_index INTEGER NOT NULL,
    from_weight REAL NOT NULL,
    to_weight REAL NOT NULL,
    reason TEXT NOT NULL,
    verdicts TEXT NOT NULL,
    PRIMARY KEY (rollout_id, seq)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS steps (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id),
    step_index INTEGER NOT NULL,
    weight REAL NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    outcome TEXT,
    PRIMARY KEY (rollout_id, step_index)
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at, id)`,
  `CREATE INDEX IF NOT EXISTS audit_by_target ON audit (target, at, id)`,
  `CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    rollout_id TEXT,
    service TEXT,
    payload TEXT NOT NULL
  ) STRICT`,
  `CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at INTEGER
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (topic, delivered_at, id)`,
];

/**
 * utf8mb4_bin compares names byte for byte, as SQLite does, so "Checkout" and
 * "checkout" are two services in both stores.
 */
const MYSQL_TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

const MYSQL_INITIAL = [
  `CREATE TABLE IF NOT EXISTS policies (
    name VARCHAR(191) NOT NULL PRIMARY KEY,
    version INT NOT NULL,
    body JSON NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  ) ${MYSQL_TABLE}`,
  `CREATE TABLE IF NOT EXISTS rollouts (
    id VARCHAR(191) NOT NULL PRIMARY KEY,
    service VARCHAR(191) NOT NULL,
    baseline VARCHAR(255) NOT NULL,
    canary VARCHAR(255) NOT NULL,
    policy_name VARCHAR(191) NOT NULL,
    policy_version INT NOT NULL,
    policy JSON NOT NULL,
    traffic JSON NOT NULL,
    phase VARCHAR(16) NOT NULL,
    step_index INT NOT NULL,
    step_started_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NULL,
    revision INT NOT NULL,
    tick_seq INT NOT NULL,
    no_data_streak INT NOT NULL,
    error_streak INT NOT NULL,
    pause_reason TEXT NULL,
    awaiting_resume TINYINT NOT NULL,
    gate_state JSON NOT NULL,
    desired JSON NOT NULL,
    applied JSON NULL,
    created_by VARCHAR(191) NOT NULL,
    live_service VARCHAR(191) AS (${LIVE_SERVICE}) STORED,
    UNIQUE KEY rollouts_live_service (live_service),
    KEY rollouts_by_start (started_at, id),
    KEY rollouts_by_service (service, started_at)
  ) ${MYSQL_TABLE}`,
  `CREATE TABLE IF NOT EXISTS decisions (
    rollout_id VARCHAR(191) NOT NULL,
    seq INT NOT NULL,
    at BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    actor VARCHAR(191) NOT NULL,
    step_index INT NOT NULL,
    from_weight DOUBLE NOT NULL,
    to_weight DOUBLE NOT NULL,
    reason TEXT NOT NULL,
    verdicts JSON NOT NULL,
    PRIMARY KEY (rollout_id, seq),
    CONSTRAINT decisions_rollout FOREIGN KEY (rollout_id) REFERENCES rollouts (id)
  ) ${MYSQL_TABLE}`,
  `CREATE TABLE IF NOT EXISTS steps (
    rollout_id VARCHAR(191) NOT NULL,
    step_index INT NOT NULL,
    weight DOUBLE NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NULL,
    outcome VARCHAR(16) NULL,
    PRIMARY KEY (rollout_id, step_index),
    CONSTRAINT steps_rollout FOREIGN KEY (rollout_id) REFERENCES rollouts (id)
  ) ${MYSQL_TABLE}`,
  `CREATE TABLE IF NOT EXISTS audit (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor VARCHAR(191) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target VARCHAR(255) NOT NULL,
    detail JSON NOT NULL,
    KEY audit_by_time (at, id),
    KEY audit_by_target (target(191), at, id)
  ) ${MYSQL_TABLE}`,
  `CREATE TABLE IF NOT EXISTS events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at BIGINT NOT NULL,
    type VARCHAR(64) NOT NULL,
    rollout_id VARCHAR(191) NULL,
    service VARCHAR(191) NULL,
    payload JSON NOT NULL
  ) ${MYSQL_TABLE}`,
  /** One row, locked by every transaction that appends events; see `lockEvents` in mysql.ts. */
  `CREATE TABLE IF NOT EXISTS event_lock (
    id TINYINT NOT NULL PRIMARY KEY
  ) ${MYSQL_TABLE}`,
  `INSERT IGNORE INTO event_lock (id) VALUES (1)`,
  `CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    topic VARCHAR(64) NOT NULL,
    payload JSON NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    delivered_at BIGINT NULL,
    KEY outbox_pending (topic, delivered_at, id)
  ) ${MYSQL_TABLE}`,
];

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial tables', sqlite: SQLITE_INITIAL, mysql: MYSQL_INITIAL },
];

export const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

export const MYSQL_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  applied_at BIGINT NOT NULL
) ${MYSQL_TABLE}`;
