// @ts-check
// The upload queue: every evidence file captured on the phone is sent with
// tus-js-client, in chunks, once the server holds its slot (the manifest
// mutation was applied: the slot is in the task as last pulled). The tus
// upload URL is kept in IndexedDB (UrlStorage below, not localStorage), so
// that after a reload or a kill the upload resumes from the server's
// offset. The server checks the SHA-256 on the last byte; the Blob is
// dropped from the phone only once a pull shows the slot received.
import { Upload } from 'tus-js-client';
import { fingerprintOf } from './db.js';

export const UPLOADS_PATH = '/mobile/v1/uploads';
/**
 * Bytes per PATCH before the server said its own (limits: uploads.chunkBytes,
 * whole pieces of its staging): a cut connection loses at most one.
 */
export const UPLOAD_CHUNK = 4 << 20;
/** Retries within one attempt (then the next sync tries again). */
export const UPLOAD_RETRY_DELAYS = [0, 1000, 3000];

/**
 * tus-js-client's URL storage over the app's "uploads" table.
 * @param {import('dexie').Table<any, any>} table
 */
export function urlStorage(table) {
  return {
    async findAllUploads() {
      return (await table.toArray()).map(toPrevious);
    },
    /** @param {string} fingerprint */
    async findUploadsByFingerprint(fingerprint) {
      return (await table.where('fingerprint').equals(fingerprint).toArray()).map(toPrevious);
    },
    /** @param {string} key */
    async removeUpload(key) {
      await table.delete(Number(key));
    },
    /** @param {string} fingerprint @param {any} upload */
    async addUpload(fingerprint, upload) {
      const key = await table.add({ ...upload, fingerprint });
      return String(key);
    },
  };
}

/** @param {any} r */
function toPrevious(r) {
  return { ...r, urlStorageKey: String(r.key) };
}


/**
 * Uploads one evidence file, resuming a previous upload of the same slot.
 * @param {object} o
 * @param {{id: string, taskId: string, blob: Blob, size: number}} o.file
 * @param {ReturnType<typeof urlStorage>} o.storage
 * @param {() => Promise<string>} o.token the access token
 * @param {(sent: number, total: number) => void} [o.progress]
 * @param {string} [o.baseURL]
 * @param {number} [o.chunkSize] bytes per PATCH (the server's limits), UPLOAD_CHUNK when not given
 * @returns {Promise<void>} resolved once the server took the last byte (and checked the hash)
 */
export function uploadFile(o) {
  return new Promise((resolve, reject) => {
    const up = new Upload(o.file.blob, {
      endpoint: (o.baseURL ?? '') + UPLOADS_PATH,
      chunkSize: o.chunkSize ?? UPLOAD_CHUNK,
      retryDelays: UPLOAD_RETRY_DELAYS,
      metadata: { taskId: o.file.taskId, slotId: o.file.id, filename: `${o.file.id}` },
      urlStorage: o.storage,
      fingerprint: async () => fingerprintOf(o.file),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: async (req) => {
        req.setHeader('Authorization', `Bearer ${await o.token()}`);
      },
      onProgress: (sent, total) => o.progress?.(sent, total),
      onSuccess: () => resolve(),
      onError: (e) => reject(e),
    });
    up.findPreviousUploads().then((prev) => {
      if (prev.length > 0) up.resumeFromPreviousUpload(prev[0]);
      up.start();
    }, reject);
  });
}
