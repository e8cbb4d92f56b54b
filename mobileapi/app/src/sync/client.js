// @ts-check
// The phone's side of the sync protocol, version 2 (docs/sync.md), over a
// LocalStore: pull pages until the phone holds the server's view, push the
// outbox in order and take each answered mutation off it. No Vue here, and
// no timers of its own: the app decides when to call (scheduler.js). The
// Go client in sync/ implements the same protocol, and both run the shared
// vectors of testdata/sync/v2.json.
import { DEFAULT_LIMITS, LIMITS_PATH, limitsOf } from './limits.js';

/** The protocol version this client speaks. */
export const PROTOCOL = 2;
export const SYNC_PATH = '/mobile/v1/sync';
/**
 * Mutations in one push, and bytes of its body: the fallback before the
 * server said its own (GET /mobile/v1/limits, kept in meta "limits").
 */
export const MAX_PUSH_BATCH = DEFAULT_LIMITS.push.maxMutations;
export const MAX_PUSH_BYTES = DEFAULT_LIMITS.push.maxBytes;
/** How often a pull asks again while the server says pending, and after how long. */
export const PENDING_TRIES = 10;
export const PENDING_WAIT_MS = 1000;

/** An answer other than 2xx, or no answer at all (status 0). */
export class SyncError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the network failed
   * @param {string} code the server's code (invalid, conflict, …) or "network"
   * @param {string} message
   * @param {number} [retryAfterMs] from Retry-After
   */
  constructor(status, code, message, retryAfterMs) {
    super(message);
    this.name = 'SyncError';
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
  /** The device was revoked by an administrator: wipe the phone. */
  get revoked() {
    return this.status === 403 && /revoked/i.test(this.message);
  }
}

/**
 * @typedef {object} Auth the session: an access token, renewed on demand
 * @property {() => Promise<string>} accessToken
 * @property {() => Promise<string>} renew a new access token after a 401 (throws when the session ended)
 */

/** @param {string} cursor @param {number} limit */
export function pullPath(cursor, limit) {
  const q = new URLSearchParams({ v: String(PROTOCOL) });
  if (cursor) q.set('cursor', cursor);
  if (limit > 0) q.set('limit', String(limit));
  return `${SYNC_PATH}?${q}`;
}

export function pushPath() {
  return `${SYNC_PATH}?v=${PROTOCOL}`;
}

export class SyncClient {
  /**
   * @param {object} o
   * @param {import('./store.js').LocalStore} o.store
   * @param {Auth} o.auth
   * @param {string} [o.baseURL] "" for the page's origin
   * @param {typeof fetch} [o.fetch]
   * @param {number} [o.pageSize] tasks per pull page (0: the server's default)
   * @param {number} [o.pendingWaitMs]
   * @param {(ms: number) => Promise<void>} [o.sleep]
   */
  constructor(o) {
    this.store = o.store;
    this.auth = o.auth;
    this.baseURL = o.baseURL ?? '';
    this.fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.pageSize = o.pageSize ?? 0;
    this.pendingWaitMs = o.pendingWaitMs ?? PENDING_WAIT_MS;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    /** @type {Promise<any>} one pull or push at a time */
    this.busy = Promise.resolve();
  }

  /** Runs fn after whatever runs now. @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
  serial(fn) {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => {});
    return run;
  }

  /**
   * One authenticated JSON exchange; a 401 renews the token and tries once more.
   * @param {string} method @param {string} path @param {string} [body]
   */
  async call(method, path, body) {
    let token = await this.auth.accessToken();
    for (let attempt = 0; ; attempt++) {
      /** @type {Response} */
      let resp;
      try {
        resp = await this.fetch(this.baseURL + path, {
          method,
          headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), Accept: 'application/json' },
          body,
          cache: 'no-store',
        });
      } catch (e) {
        throw new SyncError(0, 'network', `no answer from the server: ${e instanceof Error ? e.message : e}`);
      }
      if (resp.status === 401 && attempt === 0) {
        token = await this.auth.renew();
        continue;
      }
      const text = await resp.text();
      if (!resp.ok) throw errorOf(resp, text);
      try {
        return JSON.parse(text);
      } catch {
        throw new SyncError(resp.status, 'internal', `the server's answer to ${method} ${path} is not JSON`);
      }
    }
  }

  /**
   * Pulls pages until the phone holds the server's view: a full download
   * from an empty cursor, else the changes since the cursor. A refused
   * cursor (400, 409) is dropped once and the scope pulled again whole.
   * @returns {Promise<{pages: number, changed: number, removed: number, restart: boolean, pending: boolean}>}
   */
  pull() {
    return this.serial(async () => {
      const res = { pages: 0, changed: 0, removed: 0, restart: false, pending: false };
      let waited = 0;
      // The stored cursor changes only with a page applied: a refused one
      // stays until the full download's first page replaces it.
      let cursor = await this.store.cursor();
      for (;;) {
        let page;
        try {
          page = await this.call('GET', pullPath(cursor, this.pageSize));
        } catch (e) {
          if (e instanceof SyncError && cursor !== '' && !res.restart && (e.status === 400 || e.status === 409)) {
            res.restart = true;
            cursor = '';
            continue;
          }
          throw e;
        }
        const { changed, removed } = await this.store.applyPage(page, cursor === '');
        cursor = page.cursor;
        res.changed += changed;
        res.removed += removed;
        res.pages++;
        if (page.more) continue;
        if (page.pending && waited < PENDING_TRIES) {
          waited++;
          await this.sleep(this.pendingWaitMs);
          continue;
        }
        res.pending = !!page.pending;
        return res;
      }
    });
  }

  /**
   * Asks the server for the limits it enforces and keeps them (meta
   * "limits"), so that pushes and files kept honour them from now on.
   * @returns {Promise<import('./limits.js').Limits>}
   */
  fetchLimits() {
    return this.serial(async () => {
      const served = await this.call('GET', LIMITS_PATH);
      await this.store.setMeta('limits', served);
      return limitsOf(served);
    });
  }

  /**
   * Sends the outbox in order, in batches within the server's limits (as
   * served, else the fallback); each answered batch leaves the queue. On
   * an error the rest stays queued.
   * @returns {Promise<any[]>} the answers, in order
   */
  push() {
    return this.serial(async () => {
      let pending = await this.store.pending();
      const { push: limits } = limitsOf(await this.store.getMeta('limits'));
      /** @type {any[]} */
      const out = [];
      while (pending.length > 0) {
        const { n, body } = nextBatch(pending, limits);
        const batch = pending.slice(0, n);
        const resp = await this.call('POST', pushPath(), body);
        /** @type {{opId: string, status: string}[]} */
        const results = resp?.results ?? [];
        if (results.length !== batch.length) {
          throw new SyncError(200, 'internal', `the server answered ${results.length} of ${batch.length} mutations`);
        }
        results.forEach((r, i) => {
          if (r.opId !== batch[i].opId) throw new SyncError(200, 'internal', `answer ${i} is for op ${r.opId}, want ${batch[i].opId}`);
        });
        await this.store.complete(results);
        out.push(...results);
        pending = pending.slice(n);
      }
      return out;
    });
  }
}

/** The wire form of a queued mutation. @param {import('./db.js').OutboxEntry} e */
export function wireMutation(e) {
  return { opId: e.opId, entity: e.entity, taskId: e.taskId, baseVersion: e.baseVersion, payload: e.payload };
}

const encoder = new TextEncoder();

/**
 * How many of ms fit in one push, and its body. A mutation larger than
 * maxBytes on its own goes alone: the server's answer (400) says why.
 * @param {import('./db.js').OutboxEntry[]} ms
 * @param {{maxMutations: number, maxBytes: number}} [limits]
 */
export function nextBatch(ms, limits = DEFAULT_LIMITS.push) {
  const open = '{"mutations":[';
  const close = ']}';
  let size = open.length + close.length;
  const parts = [];
  for (const m of ms) {
    if (parts.length === limits.maxMutations) break;
    const j = JSON.stringify(wireMutation(m));
    const add = encoder.encode(j).length + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && size + add > limits.maxBytes) break;
    parts.push(j);
    size += add;
  }
  return { n: parts.length, body: open + parts.join(',') + close };
}

/** @param {Response} resp @param {string} text */
function errorOf(resp, text) {
  let code = 'internal';
  let message = `HTTP ${resp.status}`;
  try {
    const b = JSON.parse(text);
    if (b && typeof b.code === 'string') code = b.code;
    if (b && typeof b.message === 'string') message = b.message;
  } catch {
    // not our JSON: a proxy's page
  }
  const ra = resp.headers.get('Retry-After');
  const secs = ra ? Number(ra) : NaN;
  return new SyncError(resp.status, code, message, Number.isFinite(secs) ? secs * 1000 : undefined);
}
