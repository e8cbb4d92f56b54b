// The shared protocol vectors (testdata/sync/v2.json), run against this
// client and its IndexedDB store (fake-indexeddb under Node): the Go client
// runs the same file in sync/vectors_test.go, so the two cannot drift.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LocalStore } from './store.js';
import { openDB } from './db.js';
import { SyncClient, SyncError, PROTOCOL } from './client.js';
import { formKeys } from './form.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../testdata/sync/v2.json', import.meta.url), 'utf8'));

/** What a vector says of the phone's state. */
async function stateOf(store, forms, withQueue) {
  const tasks = {};
  for (const v of await store.tasks()) tasks[v.task.id] = v.task.version;
  const templates = [...(await store.templates()).keys()].sort();
  const outForms = {};
  for (const id of Object.keys(forms ?? {})) outForms[id] = formKeys(await store.form(id));
  const st = { cursor: await store.cursor(), tasks, templates, forms: outForms, keys: (await store.getMeta('keys')) != null };
  if (withQueue) st.queue = (await store.pending()).map((m) => m.opId);
  return st;
}

function wantOf(w) {
  const out = { cursor: w.cursor, tasks: w.tasks ?? {}, templates: [...(w.templates ?? [])].sort(), forms: w.forms ?? {}, keys: !!w.keys };
  if (w.queue) out.queue = w.queue;
  return out;
}

let dbs = 0;

test('the vectors are of the protocol this client speaks', () => {
  assert.equal(vectors.protocol, PROTOCOL);
  assert.ok(vectors.cases.length > 0);
});

for (const vc of vectors.cases) {
  test(vc.name, async () => {
    const store = new LocalStore(openDB(`vectors-${++dbs}`));
    await store.setMeta('cursor', vc.state.cursor);
    for (const v of vc.state.tasks ?? []) await store.db.tasks.put(v);
    for (const tp of vc.state.templates ?? []) await store.db.templates.put({ ...tp, id: `${tp.item}@${tp.version}` });
    if (vc.queue) await store.restoreQueue(vc.queue);

    let next = 0;
    const failures = [];
    const fetch = async (url, init) => {
      try {
        return await answer(url, init);
      } catch (e) {
        failures.push(e);
        throw e;
      }
    };
    const answer = async (url, init) => {
      assert.ok(next < vc.exchanges.length, `request ${next + 1} (${init.method} ${url}) beyond the ${vc.exchanges.length} the case lists`);
      if (next > 0) {
        const prev = vc.exchanges[next - 1].want;
        assert.deepEqual(await stateOf(store, prev.forms, !!prev.queue), wantOf(prev), `state before request ${next + 1}`);
      }
      const ex = vc.exchanges[next++];
      const u = new URL(url, 'http://phone.invalid');
      assert.equal(init.method, ex.request.method, `method of request ${next}`);
      assert.equal(u.pathname, ex.request.path, `path of request ${next}`);
      assert.deepEqual(Object.fromEntries(u.searchParams), ex.request.query, `query of request ${next}`);
      if (ex.request.body !== undefined) assert.deepEqual(JSON.parse(init.body), ex.request.body, `body of request ${next}`);
      assert.equal(init.headers.Authorization, 'Bearer a');
      return new Response(JSON.stringify(ex.response.body), { status: ex.response.status, headers: { 'Content-Type': 'application/json' } });
    };
    const client = new SyncClient({ store, fetch, pageSize: vc.pageSize ?? 0, pendingWaitMs: 1,
      auth: { accessToken: async () => 'a', renew: async () => 'a' } });

    let got;
    if (vc.call === 'pull') {
      try {
        got = await client.pull();
        assert.equal(vc.error, undefined, 'pull succeeded, the case wants an error');
      } catch (e) {
        if (!vc.error || failures.length > 0) throw failures[0] ?? e;
        assert.ok(e instanceof SyncError, `error ${e}`);
        assert.equal(e.code, vc.error.code);
      }
    } else if (vc.call === 'push') {
      const res = await client.push();
      got = { statuses: res.map((r) => r.status) };
    } else {
      assert.fail(`unknown call ${vc.call}`);
    }
    if (failures.length > 0) throw failures[0];
    assert.equal(next, vc.exchanges.length, 'requests sent');
    const last = vc.exchanges.at(-1).want;
    assert.deepEqual(await stateOf(store, last.forms, !!last.queue), wantOf(last), 'state at the end');
    if (vc.result) assert.deepEqual(got, vc.result);
    store.db.close();
  });
}
