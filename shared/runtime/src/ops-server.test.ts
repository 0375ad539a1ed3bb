import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './metrics';
import { startOpsServer } from './ops-server';

test('serves /metrics, /healthz and /readyz on the chosen address', async () => {
  const registry = createMetricsRegistry('unit');
  new Counter({ name: 'hourglass_unit_events_total', help: 'test counter', registers: [registry] }).inc(3);
  let ready = false;
  const server = await startOpsServer({ registry, host: '127.0.0.1', port: 0, readiness: () => ({ ready, details: { model: ready } }) });
  try {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^hourglass_unit_events_total 3$/m);
    assert.match(metrics, /hourglass_build_info\{service="unit"/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { status: 'not ready', model: false });
    ready = true;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  } finally {
    await server.close();
  }
});
