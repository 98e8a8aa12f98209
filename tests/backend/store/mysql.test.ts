import { randomBytes } from 'node:crypto';
import { after } from 'node:test';

import { createConnection } from 'mysql2/promise';

import { openMysqlStore } from '../../../backend/src/store/mysql.ts';
import { MYSQL_SERVER_URL } from '../../support/services.ts';
import { storeSuite } from './store-suite.ts';

// Each test gets a database of its own, dropped after it.
const SERVER = MYSQL_SERVER_URL;

const admin = await createConnection(`${SERVER}/`);
after(() => admin.end());

const run = randomBytes(4).toString('hex');
let count = 0;

storeSuite('mysql', async () => {
  count += 1;
  const database = `sentra_test_${run}_${count}`;
  await admin.query(`CREATE DATABASE \`${database}\``);
  return {
    open: () => openMysqlStore(`${SERVER}/${database}`),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    },
  };
});
