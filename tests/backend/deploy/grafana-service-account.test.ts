import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

const SCRIPT = resolve(import.meta.dirname, '../../../deploy/compose/grafana-service-account.mts');
const ADMIN = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

/**
 * Grafana's service account API as its reference documents it (Grafana 13.1,
 * legacy `/api` routes): search answers `{ totalCount, serviceAccounts, page,
 * perPage }`, creation answers 201 with the account, a token answers
 * `{ id, name, key }`; a wrong password gets 401.
 */
interface FakeGrafana {
  url: string;
  accounts: { id: number; name: string; role: string }[];
  tokens: { accountId: number; name: string }[];
  server: Server;
}

async function fakeGrafana(): Promise<FakeGrafana> {
  const state: Omit<FakeGrafana, 'url' | 'server'> = { accounts: [], tokens: [] };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://grafana.invalid');
      if (url.pathname === '/api/health') return send(200, { database: 'ok', version: '13.1.0' });
      if (req.headers.authorization !== ADMIN) return send(401, { message: 'Invalid username or password' });
      const body = raw ? (JSON.parse(raw) as { name: string; role?: string }) : null;

      if (req.method === 'GET' && url.pathname === '/api/serviceaccounts/search') {
        const found = state.accounts.filter((a) => a.name.includes(url.searchParams.get('query') ?? ''));
        return send(200, { totalCount: found.length, serviceAccounts: found, page: 1, perPage: 1000 });
      }
      if (req.method === 'POST' && url.pathname === '/api/serviceaccounts') {
        const account = { id: state.accounts.length + 1, name: body!.name, role: body!.role ?? 'Viewer' };
        state.accounts.push(account);
        return send(201, { ...account, login: `sa-${account.name}`, orgId: 1, isDisabled: false });
      }
      const tokens = /^\/api\/serviceaccounts\/(\d+)\/tokens$/.exec(url.pathname);
      if (req.method === 'POST' && tokens) {
        state.tokens.push({ accountId: Number(tokens[1]), name: body!.name });
        return send(200, { id: state.tokens.length, name: body!.name, key: `glsa_key_${state.tokens.length}` });
      }
      send(404, { message: 'Not found' });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { ...state, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function runScript(
  url: string,
  password: string,
  file: string
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    GRAFANA_URL: url,
    GRAFANA_ADMIN_USER: 'admin',
    GRAFANA_ADMIN_PASSWORD: password,
    TOKEN_FILE: file,
  };
  return new Promise((done) => {
    execFile(process.execPath, [SCRIPT], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let grafana: FakeGrafana;
let dir: string;

beforeEach(async () => {
  grafana = await fakeGrafana();
  dir = mkdtempSync(join(tmpdir(), 'sentra-sa-'));
});

afterEach(async () => {
  await new Promise<void>((done) => grafana.server.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

describe('grafana-service-account (docker-compose token job)', () => {
  it('creates an Editor service account and writes a new token of it to the token file', async () => {
    const file = join(dir, 'run', 'grafana-token');

    const result = await runScript(grafana.url, 'secret', file);

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(grafana.accounts, [{ id: 1, name: 'sentra', role: 'Editor' }]);
    assert.equal(readFileSync(file, 'utf8'), 'glsa_key_1');
  });

  it('reuses the account on a second run and only issues another token', async () => {
    const file = join(dir, 'grafana-token');
    await runScript(grafana.url, 'secret', file);

    const again = await runScript(grafana.url, 'secret', file);

    assert.equal(again.code, 0, again.stderr);
    assert.equal(grafana.accounts.length, 1);
    assert.deepEqual(
      grafana.tokens.map((t) => t.accountId),
      [1, 1]
    );
    assert.equal(readFileSync(file, 'utf8'), 'glsa_key_2');
  });

  it("fails with Grafana's answer when the admin password is wrong, writing nothing", async () => {
    const file = join(dir, 'grafana-token');

    const result = await runScript(grafana.url, 'wrong', file);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /HTTP 401: .*Invalid username or password/);
    assert.throws(() => readFileSync(file), { code: 'ENOENT' });
  });
});
