// @ts-check
// The phone's IndexedDB database (Dexie), one versioned schema. Everything
// the app keeps lives here and nowhere else (no localStorage): the tasks as
// last pulled, the checklist templates, the outbox of mutations, what the
// server answered to those it refused, the inspector's local drafts, the
// evidence files captured, and the session's refresh token. wipe() empties it all; the device id lives
// in a database of its own (deviceDB) that survives a wipe, because the
// server knows the phone by it.
import Dexie from 'dexie';

/** Name of the app's database. */
export const DB_NAME = 'fieldcheck';
/** Name of the device's database: the device id only. */
export const DEVICE_DB_NAME = 'fieldcheck-device';

/**
 * @typedef {object} OutboxEntry a queued mutation
 * @property {number} [seq] its place in the queue
 * @property {string} opId unique per device, resent unchanged until answered
 * @property {string} entity task | checkin | answers | result | evidence
 * @property {string} taskId
 * @property {number} baseVersion the task version the change was made on
 * @property {any} payload
 * @property {string} queuedAt ISO time
 */

/**
 * @typedef {object} Outcome a mutation the server refused (conflict or
 * rejected): shown on its task until the inspector dismisses it
 * @property {string} opId
 * @property {string} taskId
 * @property {string} entity
 * @property {string} status conflict | rejected
 * @property {string} [code]
 * @property {string} [message]
 * @property {string[]} [missingPhotos]
 * @property {string} [serverStatus] the task's status on the server, when the answer carried it
 * @property {string[]} [slots] the evidence slots a refused declaration named
 * @property {string} at ISO time of the answer
 */

/** Opens the app's database. @param {string} [name] */
export function openDB(name = DB_NAME) {
  const db = /** @type {Dexie & Record<string, import('dexie').Table<any, any>>} */ (new Dexie(name));
  db.version(1).stores({
    // key/value: cursor, keys, serverTime, lastSync, refreshToken, username, opPrefix, opSeq
    meta: '',
    // TaskView as pulled ({task, target, team}), by task id
    tasks: 'task.id',
    // checklist templates by "<item>@<version>"
    templates: 'id',
    outbox: '++seq, &opId, taskId',
    outcomes: '&opId, taskId',
    // the inspector's edits not yet seen back from the server, by task
    drafts: 'taskId',
    // evidence files captured on the phone, with their SHA-256 computed at
    // capture: {id (slot id), taskId, type, question, blob, sha256, size,
    // contentType, capturedAt, uploaded}
    blobs: 'id, taskId',
    // tus upload URLs by fingerprint (tus-js-client's URL storage: an
    // upload resumes from the server's offset after a reload or a kill)
    uploads: '++key, fingerprint',
  });
  return db;
}

/** Opens the device database. @param {string} [name] */
export function openDeviceDB(name = DEVICE_DB_NAME) {
  const db = /** @type {Dexie & Record<string, import('dexie').Table<any, any>>} */ (new Dexie(name));
  db.version(1).stores({ device: '' });
  return db;
}

/** The tables that hold a login's data: all of them. */
export const DATA_TABLES = ['meta', 'tasks', 'templates', 'outbox', 'outcomes', 'drafts', 'blobs', 'uploads'];

/**
 * The fingerprint of a slot's tus upload (the key of its URL in "uploads"):
 * its task and slot id.
 * @param {{taskId: string, id: string}} b
 */
export function fingerprintOf(b) {
  return `fc:${b.taskId}:${b.id}`;
}
