// When the app syncs, and what the sync bar says. Background Sync exists
// only in Chromium: the app pushes and pulls on start, when it comes to the
// foreground, when the network comes back, soon after every local change,
// and on a timer.
import { reactive } from 'vue';
import { SyncClient, SyncError } from '../sync/client.js';
import { uploadFile, urlStorage } from '../sync/uploads.js';
import { store } from './db';
import { auth, session, wipe, REVOKED } from '../session';
import { ApiError } from '../api/client';
import { refusalText } from '../sync/refusals.js';
import { limitsOf } from '../sync/limits.js';

/** Sync this often while the app is open. */
export const SYNC_INTERVAL_MS = 60_000;
/** Push this soon after a local change (changes in a burst go together). */
export const CHANGE_DELAY_MS = 800;

export const client = new SyncClient({ store, auth });

export const sync = reactive({
  online: navigator.onLine,
  syncing: false,
  /** Mutations waiting in the outbox. */
  pending: 0,
  /** Evidence files not yet uploaded, and their bytes left. */
  uploads: 0,
  uploadBytes: 0,
  /** Bytes sent of each file under way, by slot id. */
  sent: {} as Record<string, number>,
  lastSync: '' as string,
  /** The last failure, in Chinese; "" after a success. */
  error: '',
  /** Whether the counts below were read from IndexedDB yet (until then the bar says nothing of them). */
  counted: false,
  /** Bumped whenever the local data changed: pages reload. */
  version: 0,
});

export async function refreshCounts(): Promise<void> {
  sync.pending = await store.pendingCount();
  const blobs = await store.db.blobs.filter((b: { uploaded?: boolean }) => !b.uploaded).toArray();
  sync.uploads = blobs.length;
  sync.uploadBytes = blobs.reduce((n: number, b: { id: string; size: number }) => n + b.size - (sync.sent[b.id] ?? 0), 0);
  sync.lastSync = (await store.getMeta('lastSync')) ?? '';
  sync.counted = true;
}

function describe(e: unknown): string {
  if ((e instanceof SyncError || e instanceof ApiError) && e.status === 0) return '无法连接服务器，记录已保存在本机，联网后自动上传';
  if (e instanceof SyncError || e instanceof ApiError) {
    if (e.status === 429 || e.status === 503) return '服务器繁忙，稍后自动重试';
    if (e.status === 401) return '登录已失效，请重新登录';
    return `同步失败（${e.status} ${e.code}）`;
  }
  if (e instanceof Error && e.message.startsWith('tus:')) return '文件上传中断，稍后自动从断点续传';
  return `同步失败：${String(e)}`;
}

let running: Promise<void> | null = null;
let again = false;
/** Whether this run of the app asked the server for its limits yet. */
let limitsAsked = false;

/** Pushes the outbox, then pulls; one at a time (a call meanwhile runs once more after). */
export function syncNow(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      if (!session.loggedIn) break;
      sync.syncing = true;
      try {
        // The server's limits, once a run (and after a wipe): a push and
        // the files kept from now on honour them.
        if (!limitsAsked || !(await store.getMeta('limits'))) {
          await client.fetchLimits();
          limitsAsked = true;
        }
        if ((await store.pendingCount()) > 0) await client.push();
        await client.pull();
        if (await uploadDeclared()) await client.pull(); // the slots now say received
        await dropConfirmed();
        const now = new Date().toISOString();
        await store.setMeta('lastSync', now);
        sync.error = '';
        sync.online = true;
      } catch (e) {
        if ((e instanceof SyncError || e instanceof ApiError) && e.revoked) {
          await wipe(REVOKED);
        }
        if ((e instanceof SyncError || e instanceof ApiError) && e.status === 0) sync.online = false;
        sync.error = describe(e);
      } finally {
        sync.syncing = false;
        await refreshCounts();
        sync.version++;
      }
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

interface Blobbed {
  id: string;
  taskId: string;
  blob: Blob | null;
  size: number;
  sha256: string;
  uploaded: boolean;
  refused?: string;
}

async function slotOf(b: Blobbed) {
  const v = await store.task(b.taskId);
  return ((v?.task?.evidence ?? []) as { id: string; sha256: string; uploaded: boolean }[]).find((e) => e.id === b.id && e.sha256 === b.sha256);
}

/**
 * Uploads the files whose slots the server holds, one at a time; returns
 * whether any arrived. An interrupted upload resumes at the next sync.
 */
async function uploadDeclared(): Promise<boolean> {
  const storage = urlStorage(store.db.uploads);
  let any = false;
  for (const b of (await store.db.blobs.filter((x: Blobbed) => !x.uploaded && !!x.blob && !x.refused).toArray()) as Blobbed[]) {
    const slot = await slotOf(b);
    if (!slot) continue; // not declared yet (or refused: its outcome says so)
    if (!slot.uploaded) {
      try {
        await sendFile(b, storage);
      } catch (e) {
        const why = refusal(e);
        if (!why) throw e; // the network or a busy server: the next sync resumes
        // The server will not take these bytes (their type, their hash):
        // kept on the phone and shown on the file, never sent again as is;
        // the inspector deletes it or chooses another (Evidence.vue).
        await store.db.blobs.update(b.id, why);
        delete sync.sent[b.id];
        continue;
      }
    }
    await store.db.blobs.update(b.id, { uploaded: true });
    delete sync.sent[b.id];
    any = true;
    await refreshCounts();
  }
  return any;
}

/**
 * Why the server refused an upload for good (4xx but for a conflict of
 * offsets, a lock, a throttle or an ended session): in Chinese, with the
 * server's own message; null for a failure worth retrying.
 */
function refusal(e: unknown): { refused: string; refusedDetail: string } | null {
  const res = (e as { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
  const status = res?.getStatus() ?? 0;
  if (status < 400 || status >= 500 || [401, 403, 408, 409, 423, 429].includes(status)) return null;
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(res!.getBody()) as typeof body;
  } catch {
    // not our JSON: a proxy's page
  }
  return { refused: refusalText(status, body.code ?? '', body.message ?? ''), refusedDetail: body.message || `HTTP ${status}` };
}

async function sendFile(b: Blobbed, storage: ReturnType<typeof urlStorage>): Promise<void> {
  // The PATCH size the server stages best (whole pieces): another size is
  // taken, but a PATCH ending inside a piece makes the server rewrite it.
  const chunkSize = limitsOf(await store.getMeta('limits')).uploads.chunkBytes;
  return uploadFile({
    file: { id: b.id, taskId: b.taskId, blob: b.blob!, size: b.size },
    storage,
    chunkSize,
    token: () => auth.accessToken(),
    progress: (sent: number) => {
      const before = sync.sent[b.id] ?? 0;
      sync.sent[b.id] = sent;
      sync.uploadBytes = Math.max(0, sync.uploadBytes - (sent - before));
    },
  });
}

/** Drops the bytes of files the server confirmed (received, hash checked). */
async function dropConfirmed(): Promise<void> {
  for (const b of (await store.db.blobs.filter((x: Blobbed) => x.uploaded && !!x.blob).toArray()) as Blobbed[]) {
    if ((await slotOf(b))?.uploaded) await store.db.blobs.update(b.id, { blob: null });
  }
}

let changeTimer: ReturnType<typeof setTimeout> | undefined;

/** Call after a local change: the counts now, a sync soon. */
export async function changed(): Promise<void> {
  await refreshCounts();
  sync.version++;
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => void syncNow(), CHANGE_DELAY_MS);
}

let started = false;

export function startSync(): void {
  if (started) return;
  started = true;
  window.addEventListener('online', () => {
    sync.online = true;
    void syncNow();
  });
  window.addEventListener('offline', () => {
    sync.online = false;
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void syncNow();
  });
  setInterval(() => void syncNow(), SYNC_INTERVAL_MS);
  void refreshCounts().then(syncNow);
}
