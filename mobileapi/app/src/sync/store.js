// @ts-check
// The local side of the sync protocol (docs/sync.md) over the app's
// IndexedDB database: what a pull page does to the tasks and templates,
// the outbox of mutations, and what a push's answers do to both. Each
// operation is one IndexedDB transaction, so a page and its cursor are
// stored together or not at all, and an answer takes its mutation off the
// queue together with what it says.
import { openDB, DATA_TABLES, fingerprintOf } from './db.js';
import { templateId, formOf } from './form.js';
import { refusalText } from './refusals.js';

/** Final statuses of a pushed mutation: each takes it off the queue. */
export const FINAL = ['applied', 'duplicate', 'conflict', 'rejected'];

/** Characters of the random op-id prefix (a fresh one after every wipe). */
export const OP_PREFIX_LENGTH = 8;

export class LocalStore {
  /** @param {ReturnType<typeof openDB>} [db] */
  constructor(db) {
    this.db = db ?? openDB();
  }

  /** @param {string} key */
  async getMeta(key) {
    return this.db.meta.get(key);
  }

  /** @param {string} key @param {any} value */
  async setMeta(key, value) {
    if (value === undefined) await this.db.meta.delete(key);
    else await this.db.meta.put(value, key);
  }

  /** The stored cursor ("" before the first full download). */
  async cursor() {
    return (await this.db.meta.get('cursor')) ?? '';
  }

  /**
   * Applies one pull page, as the protocol says, with its cursor, in one
   * transaction: on the first page of a full download the tasks held are dropped, the scope coming whole;
   * templates are kept; a task replaces the copy held unless that one is
   * newer; a tombstone deletes its task (and says why, in removedTasks).
   * @param {any} page a pull response
   * @param {boolean} full whether page is the first of a full download (asked for with an empty cursor)
   * @returns {Promise<{changed: number, removed: number}>}
   */
  async applyPage(page, full) {
    const db = this.db;
    return db.transaction('rw', [db.meta, db.tasks, db.templates], async () => {
      if (full) await db.tasks.clear();
      for (const tp of page.templates ?? []) {
        if (tp) await db.templates.put({ ...tp, id: templateId(tp.item, tp.version) });
      }
      let changed = 0;
      let removed = 0;
      for (const v of page.tasks ?? []) {
        if (!v || !v.task) continue;
        const old = await db.tasks.get(v.task.id);
        if (old && old.task.version > v.task.version) continue;
        await db.tasks.put(v);
        changed++;
      }
      const gone = (await db.meta.get('removedTasks')) ?? {};
      for (const r of page.removed ?? []) {
        const old = await db.tasks.get(r.taskId);
        if (old) {
          await db.tasks.delete(r.taskId);
          gone[r.taskId] = { reason: r.reason, name: old.target?.name ?? old.task.targetName, at: page.serverTime };
          removed++;
        }
      }
      if (removed > 0) await db.meta.put(gone, 'removedTasks');
      await db.meta.put(page.cursor, 'cursor');
      if (page.keys) await db.meta.put(page.keys, 'keys');
      if (page.serverTime) await db.meta.put(page.serverTime, 'serverTime');
      return { changed, removed };
    });
  }

  /** @param {string} id */
  async task(id) {
    return this.db.tasks.get(id);
  }

  async tasks() {
    return this.db.tasks.toArray();
  }

  /** @returns {Promise<Map<string, any>>} */
  async templates() {
    const all = await this.db.templates.toArray();
    return new Map(all.map((t) => [t.id, t]));
  }

  /** The form of a held task. @param {string} taskId */
  async form(taskId) {
    const v = await this.db.tasks.get(taskId);
    if (!v) throw new Error(`task ${taskId} is not held`);
    return formOf(v.task, await this.templates());
  }

  /**
   * Queues mutations with fresh op ids, in order, in one transaction.
   * @param {{entity: string, taskId: string, baseVersion: number, payload: any}[]} ms
   * @param {(tx: any) => Promise<void>} [also] more writes in the same transaction (drafts, blobs)
   * @returns {Promise<import('./db.js').OutboxEntry[]>}
   */
  async enqueue(ms, also) {
    const db = this.db;
    return db.transaction('rw', [db.meta, db.outbox, db.drafts, db.blobs], async () => {
      const out = await addToOutbox(db, ms);
      if (also) await also(db);
      return out;
    });
  }

  /**
   * Adds entries exactly as given (the vectors' queues).
   * @param {Omit<import('./db.js').OutboxEntry, 'queuedAt'>[]} es
   */
  async restoreQueue(es) {
    await this.db.outbox.bulkAdd(es.map((e) => ({ ...e, queuedAt: new Date(0).toISOString() })));
  }

  /** The queued mutations, in order. @returns {Promise<import('./db.js').OutboxEntry[]>} */
  async pending() {
    return this.db.outbox.orderBy('seq').toArray();
  }

  async pendingCount() {
    return this.db.outbox.count();
  }

  /**
   * Takes answered mutations off the queue, in one transaction: a refusal
   * (conflict, rejected) is kept as an outcome on its task, and a
   * conflict's server task replaces the copy held when it is newer. A
   * refused declaration (a file over its cap, say) marks its files refused
   * with the server's reason: they are kept, shown, and never uploaded.
   * @param {any[]} results the server's answers, one per mutation
   */
  async complete(results) {
    const db = this.db;
    await db.transaction('rw', [db.outbox, db.outcomes, db.tasks, db.blobs], async () => {
      const at = new Date().toISOString();
      for (const r of results) {
        if (!FINAL.includes(r.status)) continue;
        const e = await db.outbox.where('opId').equals(r.opId).first();
        await db.outbox.where('opId').equals(r.opId).delete();
        if (r.status === 'conflict' || r.status === 'rejected') {
          const slots = e?.entity === 'evidence' ? slotIdsOf(e) : undefined;
          await db.outcomes.put({ opId: r.opId, taskId: e?.taskId ?? r.task?.id ?? '', entity: e?.entity ?? '', status: r.status,
            code: r.code, message: r.message, missingPhotos: r.missingPhotos ?? undefined, serverStatus: r.task?.status, slots, at });
          for (const id of slots ?? []) {
            if (await db.blobs.get(id)) await db.blobs.update(id, { refused: refusalText(0, r.code ?? '', r.message ?? ''), refusedDetail: r.message });
          }
        }
        if (r.task) {
          const old = await db.tasks.get(r.task.id);
          if (old && old.task.version < r.task.version) await db.tasks.put({ ...old, task: r.task });
        }
      }
    });
  }

  /**
   * Takes an evidence file back from the phone, in one transaction: its
   * Blob, its tus upload URL, its slot in a declaration still queued (the
   * mutation goes when it declared nothing else), and its slot in a kept
   * refusal (the refusal goes when it named nothing else). When the server
   * may hold the slot — the task as last pulled declares it, or its
   * declaration was queued (a push may have carried it, its answer not yet
   * in) — a withdrawal of the slot is queued in the same transaction, so
   * that the server takes it out of the manifest and the task can be
   * approved (docs/sync.md, entity withdrawal; withdrawing a slot the server
   * never learnt of is no error there).
   * @param {string} id the slot id
   * @returns {Promise<{found: boolean, queued: boolean, declared: boolean, withdrawal: boolean}>} whether the file was held; whether its
   *   declaration was still queued; whether the task as last pulled holds its slot; whether a withdrawal was queued
   */
  async withdrawEvidence(id) {
    const db = this.db;
    return db.transaction('rw', [db.meta, db.blobs, db.outbox, db.uploads, db.outcomes, db.tasks], async () => {
      const b = await db.blobs.get(id);
      if (!b) return { found: false, queued: false, declared: false, withdrawal: false };
      let queued = false;
      for (const e of await db.outbox.where('taskId').equals(b.taskId).toArray()) {
        if (e.entity !== 'evidence' || !slotIdsOf(e).includes(id)) continue;
        queued = true;
        const files = e.payload.files.filter((/** @type {{id: string}} */ f) => f.id !== id);
        if (files.length === 0) await db.outbox.delete(e.seq);
        else await db.outbox.update(e.seq, { payload: { ...e.payload, files } });
      }
      for (const o of await db.outcomes.where('taskId').equals(b.taskId).toArray()) {
        if (!o.slots?.includes(id)) continue;
        const slots = o.slots.filter((/** @type {string} */ s) => s !== id);
        if (slots.length === 0) await db.outcomes.delete(o.opId);
        else await db.outcomes.update(o.opId, { slots });
      }
      await db.uploads.where('fingerprint').equals(fingerprintOf(b)).delete();
      await db.blobs.delete(id);
      const v = await db.tasks.get(b.taskId);
      const declared = !!v?.task?.evidence?.some((/** @type {{id: string}} */ s) => s.id === id);
      const withdrawal = declared || queued;
      if (withdrawal) {
        await addToOutbox(db, [{ entity: 'withdrawal', taskId: b.taskId, baseVersion: v?.task?.version ?? 0, payload: { slots: [id] } }]);
      }
      return { found: true, queued, declared, withdrawal };
    });
  }

  /** The refusals kept for a task. @param {string} taskId */
  async outcomes(taskId) {
    return this.db.outcomes.where('taskId').equals(taskId).toArray();
  }

  /** @param {string} opId */
  async dismissOutcome(opId) {
    await this.db.outcomes.delete(opId);
  }

  /** Empties every table of the login's data, in one transaction. */
  async wipe() {
    const db = this.db;
    await db.transaction('rw', DATA_TABLES.map((t) => db.table(t)), async () => {
      for (const t of DATA_TABLES) await db.table(t).clear();
    });
  }
}

/**
 * Queues mutations with fresh op ids, in order, inside the caller's
 * transaction (which holds meta and outbox).
 * @param {any} db
 * @param {{entity: string, taskId: string, baseVersion: number, payload: any}[]} ms
 * @returns {Promise<import('./db.js').OutboxEntry[]>}
 */
async function addToOutbox(db, ms) {
  let prefix = await db.meta.get('opPrefix');
  if (!prefix) {
    prefix = randomPrefix();
    await db.meta.put(prefix, 'opPrefix');
  }
  let seq = (await db.meta.get('opSeq')) ?? 0;
  const out = [];
  for (const m of ms) {
    seq++;
    /** @type {import('./db.js').OutboxEntry} */
    const e = { opId: `${prefix}-${String(seq).padStart(6, '0')}`, entity: m.entity, taskId: m.taskId,
      baseVersion: m.baseVersion, payload: m.payload, queuedAt: new Date().toISOString() };
    await db.outbox.add(e);
    out.push(e);
  }
  await db.meta.put(seq, 'opSeq');
  return out;
}

/** The slot ids an evidence mutation declares. @param {{payload?: any}} e @returns {string[]} */
function slotIdsOf(e) {
  return (e.payload?.files ?? []).map((/** @type {{id: string}} */ f) => f.id);
}

/** A random op-id prefix: letters and digits. */
function randomPrefix() {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const b = new Uint8Array(OP_PREFIX_LENGTH);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => abc[x % abc.length]).join('');
}
