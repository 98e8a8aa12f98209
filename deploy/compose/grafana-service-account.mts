/**
 * Gives the docker-compose stack's backend a Grafana token for annotations.
 * Grafana cannot provision service accounts from files, so this one-shot job
 * waits for Grafana, finds or creates the `sentra` service account (role
 * Editor: enough for organization annotations), issues it a new token with
 * the admin's credentials and writes the token to a file the backend reads
 * at start.
 *
 * Environment: GRAFANA_URL, GRAFANA_ADMIN_USER, GRAFANA_ADMIN_PASSWORD,
 * TOKEN_FILE. Run with `node` (22.18 or newer); it needs no packages.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const ACCOUNT = 'sentra';
const WAIT_MS = 180_000;

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function call(url: string, auth: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: Grafana answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function waitForGrafana(url: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const res = await fetch(new URL('api/health', url), { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Grafana at ${url} was not healthy within ${WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function accountId(url: string, auth: string): Promise<number> {
  const found = (await call(url, auth, 'GET', `api/serviceaccounts/search?query=${ACCOUNT}`)) as {
    serviceAccounts?: { id: number; name: string }[];
  };
  const existing = found.serviceAccounts?.find((account) => account.name === ACCOUNT);
  if (existing) return existing.id;
  const created = (await call(url, auth, 'POST', 'api/serviceaccounts', { name: ACCOUNT, role: 'Editor' })) as {
    id: number;
  };
  return created.id;
}

async function main(): Promise<void> {
  const url = setting('GRAFANA_URL').replace(/\/?$/, '/');
  const credentials = `${setting('GRAFANA_ADMIN_USER')}:${setting('GRAFANA_ADMIN_PASSWORD')}`;
  const auth = `Basic ${Buffer.from(credentials).toString('base64')}`;
  const file = setting('TOKEN_FILE');

  await waitForGrafana(url);
  const id = await accountId(url, auth);
  const token = (await call(url, auth, 'POST', `api/serviceaccounts/${id}/tokens`, {
    name: `${ACCOUNT}-${Date.now()}`,
  })) as {
    key: string;
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, token.key, { mode: 0o600 });
  console.log(`wrote a token of Grafana service account "${ACCOUNT}" (id ${id}) to ${file}`);
}

main().catch((error: unknown) => {
  console.error(`grafana-service-account: ${(error as Error).message}`);
  process.exit(1);
});
