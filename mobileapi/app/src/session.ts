// The session: the access token in memory only, the refresh token in
// IndexedDB, renewed before it expires; the device id generated once and
// kept in its own database. A revoked device wipes every local store; so
// does a logout. A session that ends otherwise (expired, ended by an
// administrator) keeps the outbox: log in again and it is sent.
import { reactive } from 'vue';
import { openDeviceDB } from './sync/db.js';
import { store } from './stores/db';
import * as api from './api/client';
import type { Tokens } from './api/types';

/** Renew the access token when this share of its life is over. */
export const RENEW_AT = 0.8;
/** A token this close to its expiry is renewed before use. */
export const EXPIRY_MARGIN_MS = 30_000;

export const session = reactive({
  username: '',
  loggedIn: false,
  /** Why the login page is shown (revoked, ended), in Chinese. */
  message: '',
});

const deviceDB = openDeviceDB();
let accessToken = '';
let expiresAt = 0;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let renewing: Promise<string> | null = null;

/** The device id: 8–64 letters, digits, '-', '_'; made at first start. */
export async function deviceId(): Promise<string> {
  const held = (await deviceDB.device.get('id')) as string | undefined;
  if (held) return held;
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const b = new Uint8Array(24);
  crypto.getRandomValues(b);
  const id = 'pwa-' + Array.from(b, (x) => abc[x % abc.length]).join('');
  await deviceDB.device.put(id, 'id');
  return id;
}

function platform(): 'android' | 'ios' | 'harmonyos' | 'other' {
  const ua = navigator.userAgent;
  if (/HarmonyOS|OpenHarmony/i.test(ua)) return 'harmonyos';
  if (/Android/i.test(ua)) return 'android';
  if (/iPhone|iPad|iPod/i.test(ua)) return 'ios';
  return 'other';
}

/** Restores a login kept in IndexedDB (a reload, offline included). */
export async function restore(): Promise<void> {
  const [rt, user] = await Promise.all([store.getMeta('refreshToken'), store.getMeta('username')]);
  session.username = user ?? '';
  session.loggedIn = !!rt;
}

async function setTokens(t: Tokens): Promise<void> {
  accessToken = t.accessToken;
  expiresAt = Date.now() + t.expiresIn * 1000;
  await store.setMeta('refreshToken', t.refreshToken);
  clearTimeout(renewTimer);
  renewTimer = setTimeout(() => {
    renew().catch(() => {
      // offline: renewed on the next use
    });
  }, t.expiresIn * 1000 * RENEW_AT);
}

export async function login(username: string, password: string): Promise<void> {
  const held = await store.getMeta('username');
  if (held && held !== username) {
    // Another inspector's phone now: their unsent work is never dropped silently.
    const unsent = (await store.pendingCount()) + (await store.db.blobs.filter((b: { uploaded?: boolean }) => !b.uploaded).count());
    if (unsent > 0) throw new Error(`本机还有 ${held} 的 ${unsent} 项记录未上传。请先由 ${held} 登录并完成同步，或由其退出登录后再使用。`);
    await store.wipe();
  }
  try {
    const tokens = await api.login({ username, password, device: { id: await deviceId(), name: '现场检查应用', platform: platform() } });
    await store.setMeta('username', username);
    await setTokens(tokens);
  } catch (e) {
    if (e instanceof api.ApiError && e.revoked) await wipe(REVOKED);
    throw e;
  }
  session.username = username;
  session.loggedIn = true;
  session.message = '';
}

export const REVOKED = '此设备已被管理员停用，本机保存的任务和记录已全部清除。如需继续使用，请联系管理员。';
export const ENDED = '登录已失效，请重新登录。未同步的记录仍保存在本机，登录后会自动上传。';

/** Renews the access token with the refresh token (single use: one at a time). */
export function renew(): Promise<string> {
  renewing ??= (async () => {
    try {
      const rt = await store.getMeta('refreshToken');
      if (!rt) throw new api.ApiError(401, 'unauthenticated', 'no session');
      try {
        await setTokens(await api.refresh(rt));
      } catch (e) {
        if (e instanceof api.ApiError && e.revoked) await wipe(REVOKED);
        else if (e instanceof api.ApiError && e.status === 401) await endSession(ENDED);
        throw e;
      }
      return accessToken;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

/** The session for the sync client. */
export const auth = {
  async accessToken(): Promise<string> {
    if (accessToken && Date.now() < expiresAt - EXPIRY_MARGIN_MS) return accessToken;
    return renew();
  },
  renew,
};

/** Ends the session but keeps the data and the outbox. */
async function endSession(message: string): Promise<void> {
  accessToken = '';
  clearTimeout(renewTimer);
  await store.setMeta('refreshToken', undefined);
  session.loggedIn = false;
  session.message = message;
}

/** Wipes every local store (tasks, outbox, evidence, tokens) and ends the session. */
export async function wipe(message = ''): Promise<void> {
  accessToken = '';
  clearTimeout(renewTimer);
  await store.wipe();
  session.loggedIn = false;
  session.username = '';
  session.message = message;
}

export function logout(): Promise<void> {
  return wipe('已退出登录，本机数据已清除。');
}
