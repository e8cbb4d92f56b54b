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
