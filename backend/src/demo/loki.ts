/**
 * The demo's Loki, for `npm run demo -- --loki <url>|fake`.
 *
 * A URL names a real Loki the user runs (docker-compose.yml has one). `fake`
 * is for machines where no Loki can run: the demo then starts the test
 * fixture tests/fixtures/loki/server.ts, a stand-in that follows Loki's
 * documented HTTP API (push, instant and range queries, plain-text errors),
 * and says so. The fixture is imported here only on that explicit choice; it
 * stays a test fixture and is never part of Sentra itself.
 *
 * The stand-in keeps every pushed line in memory, about 50 KB a second at
 * the demo's default load: fine for the demo's few minutes, not for days of
 * `--keep-running`.
 */

export const FAKE_LOKI = 'fake';

export interface DemoLoki {
  url: string;
  /** Whether this is the stand-in rather than a real Loki. */
  fake: boolean;
  close(): Promise<void>;
}

/** `fake`, or an http(s) URL; anything else is refused, naming the option. */
export function parseLokiChoice(value: string): string {
  if (value === FAKE_LOKI) return value;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new Error(`--loki must be an http or https URL of a Loki, or "${FAKE_LOKI}", not "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

/** Starts the stand-in, or checks that the real Loki is ready, and says in one line which it is. */
export async function startDemoLoki(choice: string, say: (line: string) => void): Promise<DemoLoki> {
  if (choice === FAKE_LOKI) {
    const { startLokiFixture } = await import('../../../tests/fixtures/loki/server.ts');
    const fixture = await startLokiFixture();
    say(
      `Loki: none runs on this machine, so a stand-in that follows Loki's documented HTTP API ` +
        `(the test fake tests/fixtures/loki/server.ts) listens on ${fixture.url}; ` +
        'the demo service pushes its logs there.'
    );
    return { url: fixture.url, fake: true, close: () => fixture.close() };
  }
  await lokiReady(choice);
  say(`Loki: ${choice}; the demo service pushes its logs there.`);
  return { url: choice, fake: false, close: async () => undefined };
}

/** Loki answers `GET /ready` with 200 once it takes pushes and queries. */
async function lokiReady(url: string): Promise<void> {
  let answer: string;
  try {
    const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) return void (await res.body?.cancel());
    answer = `HTTP ${res.status}: ${(await res.text()).trim().slice(0, 200)}`;
  } catch (error) {
    answer = (error as Error).message;
  }
  throw new Error(`Loki at ${url} is not ready (GET /ready: ${answer}); start it, or use --loki ${FAKE_LOKI}`);
}
