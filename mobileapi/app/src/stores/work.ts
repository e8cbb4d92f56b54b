// The inspector's work on a task, as the phone shows it: the server's task
// as last pulled with the local edits not yet seen back on top (drafts),
// and every change queued in the outbox in the same IndexedDB transaction
// as its draft.
import { createSHA256 } from 'hash-wasm';
import { store } from './db';
import { changed } from './sync';
import { formOf, answerKey, type Section } from '../sync/form.js';
import { limitsOf, sizeRefusal } from '../sync/limits.js';
import type { TaskView, Question } from '../api/types';

export interface LocalAnswer {
  value: string;
  note?: string;
  editedAt: string;
}

export interface Draft {
  taskId: string;
  status?: string; // a status move queued (accepted)
  answers: Record<string, LocalAnswer>;
  result?: { code: string; findings?: string; followUp?: string; deviceTime: string };
}

export interface Photo {
  id: string;
  taskId: string;
  type: string;
  question?: string;
  blob: Blob | null; // null once the server confirmed the upload
  sha256: string;
  size: number;
  contentType: string;
  capturedAt: string;
  uploaded: boolean;
  name?: string; // the file's name as captured or chosen
  /** The server refused the file (its size, type, hash): why, in Chinese; kept until the inspector deletes or replaces it. */
  refused?: string;
  /** The server's own words. */
  refusedDetail?: string;
}

export interface Work {
  view: TaskView;
  form: Section[];
  status: string; // as the phone sees it
  queued: number; // mutations of this task in the outbox
  checkInQueued: boolean; // this phone's check-in waits in the outbox
  answers: Record<string, LocalAnswer>;
  result?: Draft['result'];
  photos: Photo[];
  outcomes: { opId: string; entity: string; status: string; code?: string; message?: string; missingPhotos?: string[]; serverStatus?: string; at: string }[];
}

/** Bytes hashed at a time: a large video never sits whole in memory. */
export const HASH_CHUNK = 4 << 20;

/** The answers as the phone sees them: per question, the later edit wins. */
function mergeAnswers(server: Record<string, { value: string; note?: string; editedAt: string }> | null | undefined, local: Record<string, LocalAnswer>): Record<string, LocalAnswer> {
  const out: Record<string, LocalAnswer> = {};
  for (const [k, a] of Object.entries(server ?? {})) out[k] = { value: a.value, note: a.note, editedAt: a.editedAt };
  for (const [k, a] of Object.entries(local)) {
    const s = out[k];
    if (!s || Date.parse(a.editedAt) >= Date.parse(s.editedAt)) out[k] = a;
  }
  return out;
}

async function draftOf(taskId: string): Promise<Draft> {
  return ((await store.db.drafts.get(taskId)) as Draft | undefined) ?? { taskId, answers: {} };
}

export async function loadWork(taskId: string): Promise<Work | null> {
  const view = (await store.task(taskId)) as TaskView | undefined;
  if (!view?.task) return null;
  const [templates, draft, queue, outcomes, photos] = await Promise.all([
    store.templates(),
    draftOf(taskId),
    store.db.outbox.where('taskId').equals(taskId).toArray(),
    store.outcomes(taskId),
    store.db.blobs.where('taskId').equals(taskId).toArray() as Promise<Photo[]>,
  ]);
  return {
    view,
    form: formOf(view.task, templates),
    status: statusOf(view.task.status, queue),
    queued: queue.length,
    checkInQueued: queue.some((m: { entity: string }) => m.entity === 'checkin'),
    answers: mergeAnswers(view.task.answers, draft.answers),
    result: queue.some((m: { entity: string }) => m.entity === 'result') ? draft.result : undefined,
    photos,
    outcomes,
  };
}

/** The status the phone shows: a queued move or submission counts. */
function statusOf(server: string, queue: { entity: string; payload: { to?: string } }[]): string {
  if (queue.some((m) => m.entity === 'result')) return 'submitted';
  const move = queue.filter((m) => m.entity === 'task').at(-1);
  if (move?.payload.to) return move.payload.to;
  if (queue.some((m) => m.entity === 'checkin') && ['assigned', 'accepted'].includes(server)) return 'checked_in';
  return server;
}

export interface ListItem {
  view: TaskView;
  status: string;
  queued: number;
  refused: number;
  /** The items' names (from the checklist templates held), else their codes. */
  itemNames: string;
}

/** Every task held, with what the phone adds to it. */
export async function loadList(): Promise<ListItem[]> {
  const [views, queue, outcomes, templates] = await Promise.all([store.tasks(), store.pending(), store.db.outcomes.toArray(), store.db.templates.toArray()]);
  const byTask = new Map<string, { entity: string; payload: { to?: string } }[]>();
  for (const m of queue) byTask.set(m.taskId, [...(byTask.get(m.taskId) ?? []), m]);
  const names = new Map<string, string>((templates as { item: string; itemName?: string }[]).filter((tp) => tp.itemName).map((tp) => [tp.item, tp.itemName!]));
  return (views as TaskView[]).filter((v) => v.task).map((v) => {
    const q = byTask.get(v.task!.id) ?? [];
    return {
      view: v, status: statusOf(v.task!.status, q), queued: q.length, refused: outcomes.filter((o: { taskId: string }) => o.taskId === v.task!.id).length,
      itemNames: (v.task!.items ?? []).map((code) => names.get(code) ?? code).join('、'),
    };
  });
}

async function enqueue(view: TaskView, ms: { entity: string; payload: unknown }[], edit?: (d: Draft) => void): Promise<void> {
  const t = view.task!;
  await store.enqueue(ms.map((m) => ({ ...m, taskId: t.id, baseVersion: t.version })), async (db: typeof store.db) => {
    if (!edit) return;
    const d = ((await db.drafts.get(t.id)) as Draft | undefined) ?? { taskId: t.id, answers: {} };
    edit(d);
    await db.drafts.put(d);
  });
  await changed();
}

/**
 * What a check-in sends: the scanned (and verified) code or the USCC typed
 * in by hand; the position and its accuracy, or neither when the phone
 * has no fix (accuracy 0).
 */
export type CheckInFields = ({ code: string; uscc?: never } | { uscc: string; code?: never }) & {
  position?: { lat: number; lng: number };
  accuracyM: number;
  deviceTime: string;
};

/** Queues a check-in for the task. */
export function checkIn(view: TaskView, p: CheckInFields): Promise<void> {
  return enqueue(view, [{ entity: 'checkin', payload: p }]);
}

/**
 * Queues a check-in without a task, with its reason (complaint or referral
 * with its number, emergency with a note): the server records it flagged
 * for oversight, or against a task of the team for that enterprise if it
 * has one the phone does not hold yet.
 */
export async function checkInUnplanned(p: CheckInFields & { reason: string; reference?: string; note?: string }): Promise<void> {
  await store.enqueue([{ entity: 'checkin', taskId: '', baseVersion: 0, payload: p }]);
  await changed();
}

export function accept(view: TaskView): Promise<void> {
  return enqueue(view, [{ entity: 'task', payload: { to: 'accepted' } }], (d) => {
    d.status = 'accepted';
  });
}

/** Saves one answer: a draft and a queued mutation, in one transaction. */
export function saveAnswer(view: TaskView, key: string, value: string, note: string): Promise<void> {
  const editedAt = new Date().toISOString();
  return enqueue(view, [{ entity: 'answers', payload: { answers: [{ question: key, value, ...(note ? { note } : {}), editedAt }] } }], (d) => {
    d.answers[key] = { value, note, editedAt };
  });
}

export type EvidenceKind = 'photo' | 'video' | 'document' | 'signature';

export const kindLabels: Record<EvidenceKind, string> = { photo: '照片', video: '视频', document: '文件', signature: '签名' };

/**
 * The media types the server takes per kind (backend/media: it sniffs the
 * bytes and refuses others); the phone refuses by the browser's type
 * before hashing.
 */
const EVIDENCE_TYPES: Record<EvidenceKind, RegExp> = {
  photo: /^image\/(jpeg|png|webp|heic)$/,
  video: /^video\/(mp4|quicktime|3gpp|webm)$/,
  document: /^(application\/pdf|image\/(jpeg|png))$/,
  signature: /^image\/(png|jpeg)$/,
};
const typeHints: Record<EvidenceKind, string> = { photo: 'JPEG、PNG、WebP 或 HEIC 图片', video: 'MP4、MOV、3GP 或 WebM 视频', document: 'PDF 或 JPEG、PNG 扫描件', signature: 'PNG 或 JPEG 图片' };

/** The kind of evidence a captured or chosen file is, by its type. */
export function kindOf(file: Blob): EvidenceKind {
  if (file.type.startsWith('image/')) return 'photo';
  if (file.type.startsWith('video/')) return 'video';
  return 'document';
}

/** SHA-256 of a file, read in HASH_CHUNK slices. */
export async function sha256Of(blob: Blob): Promise<string> {
  const start = performance.now();
  const h = await createSHA256();
  h.init();
  // One buffer of HASH_CHUNK bytes, reused for every read (a byte
  // stream's BYOB reader): a fresh ArrayBuffer per slice is garbage at
  // once but freed only when V8 collects, and a 500 MB video would pile
  // them up (docs/benchmarks.md). Where the browser's Blob stream takes no
  // BYOB reader, slices as before.
  let reader: ReadableStreamBYOBReader | null = null;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    reader = null;
  }
  if (reader) {
    let buf = new ArrayBuffer(HASH_CHUNK);
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buf));
      if (done || !value) break;
      h.update(value);
      buf = value.buffer as ArrayBuffer;
    }
  } else {
    for (let off = 0; off < blob.size; off += HASH_CHUNK) {
      h.update(new Uint8Array(await blob.slice(off, off + HASH_CHUNK).arrayBuffer()));
    }
  }
  const hex = h.digest('hex');
  // How long hashing took, with the size (TestAppBudgets reads it).
  performance.measure('fc:hash', { start, end: performance.now(), detail: { size: blob.size } });
  return hex;
}

/**
 * Keeps an evidence file (a photo for a question, the signature): hashed at
 * capture, stored as a Blob, and declared in the evidence manifest (a
 * queued mutation) in the same transaction.
 */
export async function addEvidence(view: TaskView, type: EvidenceKind, question: string, file: File, caption = ''): Promise<Photo> {
  // The caps the server said it enforces (GET /mobile/v1/limits), its
  // defaults before it did: a file over one is refused here, before it is
  // hashed and kept; the server's answer to the manifest stays the authority.
  const tooLarge = sizeRefusal(limitsOf(await store.getMeta('limits')), type, kindLabels[type], file.size);
  if (tooLarge) throw new Error(tooLarge);
  if (!EVIDENCE_TYPES[type].test((file.type || '').split(';')[0])) throw new Error(`${kindLabels[type]}须为${typeHints[type]}（${file.name || file.type || '未知类型'}）`);
  const sha256 = await sha256Of(file);
  const t = view.task!;
  const n = (await store.db.blobs.where('taskId').equals(t.id).count()) + 1;
  const ev: Photo = {
    id: `${type}-${Date.now().toString(36)}-${n}`,
    taskId: t.id,
    type,
    question: question || undefined,
    blob: file,
    sha256,
    size: file.size,
    contentType: file.type || 'application/octet-stream',
    capturedAt: new Date().toISOString(),
    uploaded: false,
    name: file.name || undefined,
  };
  const slot = { id: ev.id, type, sha256, size: ev.size, contentType: ev.contentType, capturedAt: ev.capturedAt, ...(question ? { question } : {}), ...(caption ? { caption } : {}) };
  await store.enqueue([{ entity: 'evidence', taskId: t.id, baseVersion: t.version, payload: { files: [slot] } }], async (db: typeof store.db) => {
    await db.blobs.put(ev);
  });
  await changed();
  return ev;
}

/**
 * Takes an evidence file back from the phone (a refused one): its Blob,
 * its queued declaration, its upload URL, in one transaction (store.js).
 */
export async function withdrawEvidence(id: string): Promise<void> {
  await store.withdrawEvidence(id);
  await changed();
}

/** A photo for a question. */
export function addPhoto(view: TaskView, question: string, file: File): Promise<Photo> {
  return addEvidence(view, 'photo', question, file.type ? file : new File([file], file.name, { type: 'image/jpeg' }));
}

export interface Missing {
  key: string;
  text: string;
  why: 'answer' | 'photo';
}

/** What a submission still lacks: required answers and required photos. */
export function missing(work: Pick<Work, 'form' | 'answers' | 'photos'>, serverSlots: { type: string; question?: string }[] = []): Missing[] {
  const out: Missing[] = [];
  for (const s of work.form) {
    for (const q of s.questions as Question[]) {
      const key = answerKey(s.itemCode, q.id);
      const a = work.answers[key];
      if (q.required && (!a || a.value.trim() === '')) out.push({ key, text: q.text, why: 'answer' });
      const hasPhoto = work.photos.some((p) => p.type === 'photo' && p.question === key) || serverSlots.some((e) => e.type === 'photo' && e.question === key);
      if (q.photoRequired && !hasPhoto) out.push({ key, text: q.text, why: 'photo' });
    }
  }
  return out;
}

/** Submits: the result, queued after every answer and photo of the task. */
export function submit(view: TaskView, result: { code: string; findings?: string; followUp?: string }): Promise<void> {
  const r = { code: result.code, ...(result.findings ? { findings: result.findings } : {}), ...(result.followUp ? { followUp: result.followUp } : {}), deviceTime: new Date().toISOString() };
  return enqueue(view, [{ entity: 'result', payload: r }], (d) => {
    d.result = r;
  });
}

export async function dismissOutcome(opId: string): Promise<void> {
  await store.dismissOutcome(opId);
  await changed();
}
