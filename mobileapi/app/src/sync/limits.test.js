// The server's limits as the phone honours them: fetched once and kept,
// smaller served limits cut pushes into smaller batches and refuse files
// the fallback would keep; before the first answer, the fallback.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalStore } from './store.js';
import { openDB } from './db.js';
import { SyncClient, nextBatch } from './client.js';
import { DEFAULT_LIMITS, LIMITS_PATH, limitsOf, sizeRefusal } from './limits.js';

let n = 0;
const fresh = () => new LocalStore(openDB(`limits-${++n}`));
const auth = { accessToken: async () => 'tok', renew: async () => 'tok' };

/** A server that serves limits and answers every push, recording the batches. */
function fakeServer(limits) {
  const pushes = [];
  const fetch = async (url, init) => {
    if (url === LIMITS_PATH) return new Response(JSON.stringify(limits), { status: 200 });
    const { mutations } = JSON.parse(init.body);
    pushes.push({ n: mutations.length, bytes: new TextEncoder().encode(init.body).length });
    return new Response(JSON.stringify({ protocol: 2, results: mutations.map((m) => ({ opId: m.opId, status: 'applied', version: 2 })) }), { status: 200 });
  };
  return { fetch, pushes };
}

const served = { evidence: { maxSize: { photo: 1 << 20, video: 10 << 20, audio: 1 << 20, document: 2 << 20, signature: 1 << 20 }, taskQuota: 100 << 20 }, push: { maxMutations: 3, maxBytes: 2048, maxPayloadBytes: 1024 }, uploads: { chunkBytes: 16 * 255 * 1024 } };

test('OK: served limits are kept, and a push honours the smaller batch size', async () => {
  const store = fresh();
  const srv = fakeServer(served);
  const c = new SyncClient({ store, auth, fetch: srv.fetch });
  await store.enqueue(Array.from({ length: 7 }, (_, i) => ({ entity: 'answers', taskId: 't1', baseVersion: 1, payload: { i } })));
  const got = await c.fetchLimits();
  assert.deepEqual(got, served);
  assert.deepEqual(await store.getMeta('limits'), served);
  const out = await c.push();
  assert.equal(out.length, 7);
  assert.deepEqual(srv.pushes.map((p) => p.n), [3, 3, 1]);
  assert.equal(await store.pendingCount(), 0);
});

test('OK: a push honours the served body size', async () => {
  const store = fresh();
  const srv = fakeServer(served);
  const c = new SyncClient({ store, auth, fetch: srv.fetch });
  await c.fetchLimits();
  await store.enqueue(Array.from({ length: 3 }, () => ({ entity: 'answers', taskId: 't1', baseVersion: 1, payload: { note: 'x'.repeat(900) } })));
  await c.push();
  assert.deepEqual(srv.pushes.map((p) => p.n), [2, 1]);
  for (const p of srv.pushes) assert.ok(p.bytes <= served.push.maxBytes, `a push of ${p.bytes} bytes, over ${served.push.maxBytes}`);
});

test('OK: before the first answer, the fallback', async () => {
  const store = fresh();
  assert.deepEqual(limitsOf(await store.getMeta('limits')), DEFAULT_LIMITS);
  const many = Array.from({ length: 600 }, (_, i) => ({ opId: `a-${i}`, entity: 'answers', taskId: 't', baseVersion: 1, payload: {} }));
  assert.equal(nextBatch(many).n, DEFAULT_LIMITS.push.maxMutations);
});

test('OK: a file the fallback keeps is refused under a smaller served cap', () => {
  const size = 3 << 20;
  assert.equal(sizeRefusal(limitsOf(undefined), 'photo', '照片', size), '');
  assert.match(sizeRefusal(limitsOf(served), 'photo', '照片', size), /^照片不能超过 1 MB，此文件 3\.0 MB$/);
  assert.equal(sizeRefusal(limitsOf(served), 'photo', '照片', 1 << 20), '', 'the cap itself is allowed');
  assert.equal(sizeRefusal(limitsOf(served), 'photo', '照片', 0), '文件是空的');
});

test('OK: values the server left out or sent unusable fall back one by one', () => {
  const l = limitsOf({ evidence: { maxSize: { photo: 1000, video: -1, document: 'x' } }, push: { maxMutations: 0, maxBytes: 4096 } });
  assert.equal(l.evidence.maxSize.photo, 1000);
  assert.equal(l.evidence.maxSize.video, DEFAULT_LIMITS.evidence.maxSize.video);
  assert.equal(l.evidence.maxSize.document, DEFAULT_LIMITS.evidence.maxSize.document);
  assert.equal(l.evidence.taskQuota, DEFAULT_LIMITS.evidence.taskQuota);
  assert.deepEqual(l.push, { maxMutations: DEFAULT_LIMITS.push.maxMutations, maxBytes: 4096, maxPayloadBytes: DEFAULT_LIMITS.push.maxPayloadBytes });
});

test('OK: the served PATCH size is taken; a missing or unusable one falls back to 4 MiB', () => {
  assert.equal(limitsOf({ uploads: { chunkBytes: 16 * 255 * 1024 } }).uploads.chunkBytes, 4177920);
  for (const bad of [undefined, {}, { chunkBytes: 0 }, { chunkBytes: -5 }, { chunkBytes: 1.5 }, { chunkBytes: '4' }]) {
    assert.equal(limitsOf({ uploads: bad }).uploads.chunkBytes, DEFAULT_LIMITS.uploads.chunkBytes, JSON.stringify(bad));
  }
});
