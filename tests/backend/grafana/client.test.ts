import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';

import { GrafanaError, createAnnotationsClient } from '../../../backend/src/grafana/client.ts';

/** A server answering every request with one canned answer, recording the paths asked for. */
let server: Server | null = null;

async function answering(status: number, body: string): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const client = (url: string) => createAnnotationsClient({ url, token: 't', timeoutMs: 1000 });

describe('Grafana annotations client', () => {
  it('reaches a Grafana served under a sub-path, under that path', async () => {
    const grafana = await answering(200, '[]');

    await client(`${grafana.url}/grafana`).findByTags(['sentra-rollout:r-1'], 1000);

    assert.equal(
      grafana.paths[0],
      '/grafana/api/annotations?type=annotation&limit=100&tags=sentra-rollout%3Ar-1&from=1000&to=1000'
    );
  });

  it('refuses an answer that is not the documented shape, saying where it differs', async () => {
    const grafana = await answering(200, '{"annotations":[]}');

    await assert.rejects(client(grafana.url).findByTags(['sentra'], 0), (error: GrafanaError) => {
      assert.match(
        error.message,
        /GET \/api\/annotations: Grafana's answer is not what its API documents \(\/ must be array\)/
      );
      return true;
    });
  });

  it('reports an unparseable body with the status, not a JSON parser error', async () => {
    const grafana = await answering(200, '<html>proxy login</html>');

    await assert.rejects(client(grafana.url).create({ time: 1, text: 'x', tags: [] }), {
      name: 'GrafanaError',
      message: 'POST /api/annotations: Grafana answered HTTP 200 with a body that is not JSON',
    });
  });

  it("carries Grafana's own message and status on an error answer", async () => {
    const grafana = await answering(404, '{"message":"Annotation not found"}');

    await assert.rejects(client(grafana.url).patch(42, { timeEnd: 5 }), (error: GrafanaError) => {
      assert.equal(error.status, 404);
      assert.equal(error.message, 'PATCH /api/annotations/42: Grafana answered HTTP 404: Annotation not found');
      return true;
    });
  });

  it('says Grafana cannot be reached when nothing listens, with no status', async () => {
    const grafana = await answering(200, '[]');
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;

    await assert.rejects(client(grafana.url).findByTags(['sentra'], 0), (error: GrafanaError) => {
      assert.equal(error.status, null);
      assert.match(error.message, /cannot reach Grafana at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      return true;
    });
  });
});
