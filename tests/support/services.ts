/**
 * The real services kept for tests on this machine. Tests make their own
 * databases and key prefixes in them and remove those afterwards.
 */
export const MYSQL_SERVER_URL = 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = 'redis://127.0.0.1:6379';
