// @ts-check
// The server's limits as the phone honours them: served by
// GET /mobile/v1/limits (the values the server enforces, mobileapi.Limits),
// kept in the meta table ("limits") and read before a file is kept or a
// push is cut into batches. The constants here are only the fallback
// before the first answer: the defaults of backend.DefaultEvidenceLimits
// and of sync/protocol.go. The server stays the authority either way.

export const LIMITS_PATH = '/mobile/v1/limits';

/**
 * @typedef {object} Limits
 * @property {{maxSize: Record<string, number>, taskQuota: number}} evidence
 * @property {{maxMutations: number, maxBytes: number, maxPayloadBytes: number}} push
 * @property {{chunkBytes: number}} uploads bytes per tus PATCH: whole pieces of the server's staging
 */

/** @type {Limits} */
export const DEFAULT_LIMITS = Object.freeze({
  evidence: Object.freeze({
    maxSize: Object.freeze({ photo: 25 << 20, video: 500 << 20, audio: 100 << 20, document: 50 << 20, signature: 5 << 20 }),
    taskQuota: 2 * 2 ** 30,
  }),
  push: Object.freeze({ maxMutations: 500, maxBytes: 1 << 20, maxPayloadBytes: 256 << 10 }),
  uploads: Object.freeze({ chunkBytes: 4 << 20 }),
});

/** @param {unknown} n */
function positive(n) {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

/**
 * The limits to honour: those served, each value the server left out (or
 * sent unusable) taken from the fallback.
 * @param {any} served what the server answered (or undefined before it did)
 * @returns {Limits}
 */
export function limitsOf(served) {
  const d = DEFAULT_LIMITS;
  /** @type {Record<string, number>} */
  const maxSize = { ...d.evidence.maxSize };
  for (const [k, n] of Object.entries(served?.evidence?.maxSize ?? {})) if (positive(n)) maxSize[k] = n;
  const q = served?.evidence?.taskQuota;
  const p = served?.push ?? {};
  const c = served?.uploads?.chunkBytes;
  return {
    evidence: { maxSize, taskQuota: positive(q) ? q : d.evidence.taskQuota },
    push: {
      maxMutations: positive(p.maxMutations) ? p.maxMutations : d.push.maxMutations,
      maxBytes: positive(p.maxBytes) ? p.maxBytes : d.push.maxBytes,
      maxPayloadBytes: positive(p.maxPayloadBytes) ? p.maxPayloadBytes : d.push.maxPayloadBytes,
    },
    uploads: { chunkBytes: positive(c) && Number.isInteger(c) ? c : d.uploads.chunkBytes },
  };
}

/** @param {number} n bytes */
export function formatMB(n) {
  const mb = n / (1 << 20);
  return Number.isInteger(mb) ? `${mb} MB` : `${mb.toFixed(1)} MB`;
}

/**
 * Why a file of this kind and size may not be kept ("" when it may).
 * @param {Limits} limits
 * @param {string} kind photo | video | document | signature | audio
 * @param {string} label the kind in Chinese
 * @param {number} size bytes
 */
export function sizeRefusal(limits, kind, label, size) {
  if (size === 0) return '文件是空的';
  const max = limits.evidence.maxSize[kind];
  if (positive(max) && size > max) return `${label}不能超过 ${formatMB(max)}，此文件 ${(size / (1 << 20)).toFixed(1)} MB`;
  return '';
}
