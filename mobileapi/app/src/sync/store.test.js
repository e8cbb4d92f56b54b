// The outbox over IndexedDB (fake-indexeddb): op ids, order, and what the
// server's answers do to the queue, the refusals kept and the tasks held.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalStore } from './store.js';
import { openDB } from './db.js';

let n = 0;
const fresh = () => new LocalStore(openDB(`store-${++n}`));
const view = (id, version, status = 'checked_in') => ({ task: { id, version, status, checklist: [] }, target: { name: 'x' }, team: [] });

test('OK: op ids are unique, in order, with a prefix kept until a wipe', async () => {
  const s = fresh();
  const a = await s.enqueue([{ entity: 'answers', taskId: 't1', baseVersion: 1, payload: {} }, { entity: 'result', taskId: 't1', baseVersion: 1, payload: {} }]);
  const b = await s.enqueue([{ entity: 'task', taskId: 't2', baseVersion: 3, payload: { to: 'accepted' } }]);
  const ids = [...a, ...b].map((e) => e.opId);
  assert.equal(new Set(ids).size, 3);
  assert.match(ids[0], /^[a-z0-9]{8}-000001$/);
  assert.deepEqual((await s.pending()).map((e) => e.opId), ids);
  const prefix = ids[0].split('-')[0];
  await s.wipe();
  const [c] = await s.enqueue([{ entity: 'answers', taskId: 't1', baseVersion: 1, payload: {} }]);
  assert.notEqual(c.opId.split('-')[0], prefix, 'a wiped phone reuses no op id');
});

test('OK: every final answer takes its mutation off; refusals are kept on their task; a conflict brings the newer task', async () => {
  const s = fresh();
  await s.db.tasks.put(view('t1', 1));
  const q = await s.enqueue(['answers', 'evidence', 'result', 'task'].map((entity) => ({ entity, taskId: 't1', baseVersion: 1, payload: {} })));
  await s.complete([
    { opId: q[0].opId, status: 'applied', version: 2 },
    { opId: q[1].opId, status: 'duplicate', version: 2 },
    { opId: q[2].opId, status: 'conflict', code: 'conflict', message: 'changed', task: { id: 't1', version: 5, status: 'returned', checklist: [] } },
    { opId: q[3].opId, status: 'rejected', code: 'invalid', message: 'no', missingPhotos: ['A/b'] },
  ]);
  assert.equal(await s.pendingCount(), 0);
  const out = await s.outcomes('t1');
  assert.deepEqual(out.map((o) => [o.entity, o.status]).sort(), [['result', 'conflict'], ['task', 'rejected']]);
  assert.equal(out.find((o) => o.status === 'conflict').serverStatus, 'returned');
  assert.deepEqual(out.find((o) => o.status === 'rejected').missingPhotos, ['A/b']);
  assert.equal((await s.task('t1')).task.version, 5);
});

test('OK: an answer that is not final leaves its mutation queued', async () => {
  const s = fresh();
  const [e] = await s.enqueue([{ entity: 'answers', taskId: 't1', baseVersion: 1, payload: {} }]);
  await s.complete([{ opId: e.opId, status: 'pending' }]);
  assert.equal(await s.pendingCount(), 1);
});

test('OK: a tombstone says why the task went', async () => {
  const s = fresh();
  await s.applyPage({ cursor: 'C1', tasks: [view('t1', 1), view('t2', 1)], templates: [], removed: [] }, true);
  await s.applyPage({ cursor: 'C2', tasks: [], templates: [], removed: [{ taskId: 't1', reason: 'reassigned' }, { taskId: 'gone', reason: 'cancelled' }], serverTime: '2026-12-04T08:00:00Z' }, false);
  assert.deepEqual((await s.tasks()).map((v) => v.task.id), ['t2']);
  assert.deepEqual(await s.getMeta('removedTasks'), { t1: { reason: 'reassigned', name: 'x', at: '2026-12-04T08:00:00Z' } });
  assert.equal(await s.cursor(), 'C2');
});

const file = (id, taskId = 't1') => ({ id, taskId, type: 'photo', blob: new Blob(['x']), sha256: 'ab', size: 1, contentType: 'image/jpeg', uploaded: false });
const slot = (id) => ({ id, type: 'photo', sha256: 'ab', size: 1, contentType: 'image/jpeg', capturedAt: '2026-05-06T01:00:00Z' });

test('OK: a refused declaration marks its files refused, with the reason', async () => {
  const s = fresh();
  await s.db.blobs.bulkPut([file('p1'), file('p2')]);
  const [m] = await s.enqueue([{ entity: 'evidence', taskId: 't1', baseVersion: 1, payload: { files: [slot('p1')] } }]);
  await s.complete([{ opId: m.opId, status: 'rejected', code: 'payload_too_large', message: 'evidence "p1": a photo may have at most 25 MiB' }]);
  assert.equal((await s.db.blobs.get('p1')).refused, '文件超过服务器允许的大小');
  assert.equal((await s.db.blobs.get('p1')).refusedDetail, 'evidence "p1": a photo may have at most 25 MiB');
  assert.equal((await s.db.blobs.get('p2')).refused, undefined, 'a file the declaration did not name is untouched');
  assert.deepEqual((await s.outcomes('t1'))[0].slots, ['p1']);
});

test('OK: withdrawing a file leaves nothing of it: blob, queued slot, upload URL, refusal', async () => {
  const s = fresh();
  await s.db.tasks.put({ ...view('t1', 1), task: { ...view('t1', 1).task, evidence: [slot('p3')] } });
  await s.db.blobs.bulkPut([file('p1'), file('p2'), file('p3'), file('p4')]);
  // p1 and p2 declared together, still queued; p3 declared on the server; p4's declaration refused.
  await s.enqueue([{ entity: 'evidence', taskId: 't1', baseVersion: 1, payload: { files: [slot('p1'), slot('p2')] } }, { entity: 'answers', taskId: 't1', baseVersion: 1, payload: {} }]);
  const [r] = await s.enqueue([{ entity: 'evidence', taskId: 't1', baseVersion: 1, payload: { files: [slot('p4')] } }]);
  await s.complete([{ opId: r.opId, status: 'rejected', code: 'invalid', message: 'no' }]);
  await s.db.uploads.bulkAdd([{ fingerprint: 'fc:t1:p3', uploadUrl: '/u/1' }, { fingerprint: 'fc:t1:p2', uploadUrl: '/u/2' }]);

  const entities = async () => (await s.pending()).map((e) => (e.entity === 'withdrawal' ? `withdrawal:${e.payload.slots}` : e.entity));
  assert.deepEqual(await s.withdrawEvidence('p1'), { found: true, queued: true, declared: false, withdrawal: true });
  let q = await s.pending();
  assert.deepEqual(await entities(), ['evidence', 'answers', 'withdrawal:p1'], 'a queued declaration may have been sent: withdrawn too');
  assert.deepEqual(q[0].payload.files.map((f) => f.id), ['p2'], 'the other file of the declaration stays queued');

  assert.deepEqual(await s.withdrawEvidence('p2'), { found: true, queued: true, declared: false, withdrawal: true });
  assert.deepEqual(await entities(), ['answers', 'withdrawal:p1', 'withdrawal:p2'], 'a declaration left empty goes');
  assert.deepEqual((await s.db.uploads.toArray()).map((u) => u.fingerprint), ['fc:t1:p3']);

  assert.deepEqual(await s.withdrawEvidence('p3'), { found: true, queued: false, declared: true, withdrawal: true });
  assert.equal(await s.db.uploads.count(), 0, 'its upload URL goes with it');
  q = await s.pending();
  assert.deepEqual(q.at(-1), { ...q.at(-1), entity: 'withdrawal', taskId: 't1', baseVersion: 1, payload: { slots: ['p3'] } }, 'the slot the server holds is withdrawn on the task as pulled');

  assert.equal((await s.outcomes('t1')).length, 1);
  assert.deepEqual(await s.withdrawEvidence('p4'), { found: true, queued: false, declared: false, withdrawal: false }, 'the server refused its declaration: nothing to withdraw');
  assert.equal((await s.outcomes('t1')).length, 0, 'the refusal of its declaration goes with it');
  assert.deepEqual(await entities(), ['answers', 'withdrawal:p1', 'withdrawal:p2', 'withdrawal:p3']);

  assert.equal(await s.db.blobs.count(), 0);
  assert.deepEqual(await s.withdrawEvidence('p4'), { found: false, queued: false, declared: false, withdrawal: false });
});
