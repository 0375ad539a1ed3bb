import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '@hourglass/core';
import { CONSUMER_STALLED_EXIT_CODE, createKafka, createTopicsAndWait } from '@hourglass/kafka';
import { which } from '../infra/packages';
import { freePort } from '../infra/processes';
import { startPrivateKafka } from '../support/faults-infra';
import { getJson, uniqueName } from '../support/fixtures';
import { startServiceProcess } from '../support/processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `promise`'s value, or null after `ms`; the timer is cleared either way (a pending one would hold the test process open). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// The consumer watchdog end to end: `hourglass ingest` on a private broker, which is then frozen
// (SIGSTOP: its connections stay open and no request is ever answered, as with a consumer that
// kafkajs left waiting). The service must end itself with exit code 75 within about
// kafka.consumerStallMs, naming the group, instead of looking healthy while reading nothing.
test('a service whose consumer stops fetching exits with code 75 after kafka.consumerStallMs', { timeout: 180_000 }, async (t) => {
  if (!which('java')) {
    if (process.env.CI === 'true') throw new Error('java is needed for the private broker');
    t.skip('java is needed for the private broker');
    return;
  }
  const kafka = await startPrivateKafka((line) => t.diagnostic(line));
  let frozen = false;
  try {
    const id = uniqueName('watchdog');
    const topics = { input: `${id}.points`, windows: `${id}.windows`, anomalies: `${id}.anomalies`, dlq: `${id}.dlq` };
    const port = await freePort();
    const raw = {
      kafka: { brokers: kafka.brokers, clientId: id, consumerStallMs: 5000 },
      ops: { host: '127.0.0.1', port },
      log: { level: 'info' },
      topics: { windows: topics.windows, anomalies: topics.anomalies, deadLetter: topics.dlq },
      ingest: { groupId: `${id}-ingest`, topics: [topics.input], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 100 },
      groups: [{ name: 'g', match: { glob: '*' }, window: { lengthSteps: 8, intervalMs: 1000 } }],
    };
    const admin = createKafka({ ...compileConfig(raw).kafka, connectionTimeoutMs: 3000 }).admin();
    await admin.connect();
    await createTopicsAndWait(admin, [topics.input, topics.windows, topics.anomalies, topics.dlq].map((topic) => ({ topic, numPartitions: 1 })));
    await admin.disconnect();

    const ingest = startServiceProcess('ingest', raw, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => ingest.child.once('exit', (code) => resolve({ code, at: Date.now() })));
    try {
      let ready = false;
      for (let i = 0; i < 600 && !ready; i++) {
        ready = (await getJson(`http://127.0.0.1:${port}/readyz`))?.status === 200;
        if (!ready) await sleep(100);
      }
      assert.ok(ready, `ingest became ready\n${ingest.logs().slice(-3000)}`);
      // Ready and fetching: it does not exit while the broker answers (idle fetches count).
      const early = await within(exited, 8000);
      assert.equal(early, null, `ingest exited while the broker was answering\n${ingest.logs().slice(-3000)}`);

      process.kill(kafka.pid(), 'SIGSTOP');
      frozen = true;
      const frozenAt = Date.now();
      const end = await within(exited, 60_000);
      assert.ok(end, `ingest was still running 60 s after the broker froze\n${ingest.logs().slice(-3000)}`);
      assert.equal(end.code, CONSUMER_STALLED_EXIT_CODE, ingest.logs().slice(-3000));
      const seconds = (end.at - frozenAt) / 1000;
      t.diagnostic(`ingest exited ${seconds.toFixed(1)} s after the broker froze`);
      assert.ok(seconds >= 4, `not before the stall time (${seconds} s)`);
      assert.match(ingest.logs(), new RegExp(`consumer of group ${id}-ingest has neither fetched nor processed a batch`));
    } finally {
      await ingest.kill('SIGKILL');
    }
  } finally {
    if (frozen) process.kill(kafka.pid(), 'SIGCONT');
    await kafka.stop();
  }
});
