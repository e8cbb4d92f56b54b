// @ts-check
// The enterprise code (fc-ent-1, qr/doc.go) as the phone checks it
// offline: parsed as the specification says, first failure wins, and its
// Ed25519 signature verified against the key set of the first pull
// (WebCrypto Ed25519 where the browser has it, @noble/ed25519 otherwise).
// A refusal is a CodeError whose reason is the specification's.
import * as ed from '@noble/ed25519';

export const MAX_CODE_LEN = 512;
const B64URL = /^[A-Za-z0-9_-]*$/;
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const BASE_URL = /^https?:\/\/[A-Za-z0-9\-._~:[\]]+(\/[A-Za-z0-9\-._~:/[\]]*)?$/;

export class CodeError extends Error {
  /** @param {string} reason malformed | oversized | unsupported_version | unsigned | unknown_key | forged | altered | retired_key | wrong_enterprise @param {string} message */
  constructor(reason, message) {
    super(message);
    this.name = 'CodeError';
    this.reason = reason;
  }
}

/** Whether code is a valid USCC (GB 32100-2015 check character). @param {string} code */
export function validUSCC(code) {
  if (code.length !== 18) return false;
  let sum = 0;
  for (let i = 0; i < 18; i++) {
    const v = USCC_ALPHABET.indexOf(code[i]);
    if (v < 0) return false;
    if (i >= 2 && i < 8 && !(code[i] >= '0' && code[i] <= '9')) return false;
    if (i < 17) sum += v * USCC_WEIGHTS[i];
  }
  return code[17] === USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

/**
 * A USCC as typed in by hand: spaces dropped, letters upper-cased (the
 * licence prints capitals; nothing else is changed, so that validUSCC
 * judges what was typed). @param {string} typed
 */
export function normalizeUSCC(typed) {
  return typed.replace(/\s+/g, '').toUpperCase();
}

/** base64url without padding, canonical. @param {string} s @returns {Uint8Array | null} */
export function decodeB64url(s) {
  if (!B64URL.test(s) || s.length % 4 === 1) return null;
  const std = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  let bin;
  try {
    bin = atob(std);
  } catch {
    return null;
  }
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  // canonical: re-encodes to itself (the unused low bits are zero)
  const again = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return again === s ? out : null;
}

/**
 * Parses an enterprise code (the scanned text, exactly as it is).
 * @param {string} text
 * @returns {{base: string, uscc: string, kid: string, signature: Uint8Array}}
 */
export function parseEnterpriseCode(text) {
  if (text.length > MAX_CODE_LEN) throw new CodeError('oversized', '二维码内容过长，不是营业执照二维码');
  if (text.length === 0 || !/^[\x21-\x7e]+$/.test(text)) throw new CodeError('malformed', '不是监管平台的营业执照二维码');
  const q = text.indexOf('?');
  const head = q < 0 ? text : text.slice(0, q);
  const query = q < 0 ? '' : text.slice(q + 1);
  const at = head.lastIndexOf('/e/');
  if (at < 0) throw new CodeError('malformed', '不是监管平台的营业执照二维码');
  const base = head.slice(0, at);
  const uscc = head.slice(at + 3);
  if ((base !== '' && (!BASE_URL.test(base) || base.length > 200 || base.endsWith('/') || base.slice(base.indexOf('//') + 2).includes('//'))) || !validUSCC(uscc)) {
    throw new CodeError('malformed', '不是监管平台的营业执照二维码');
  }
  const pairs = query === '' ? [] : query.split('&').map((p) => {
    const i = p.indexOf('=');
    return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
  });
  if (pairs.some(([k]) => k === 'v')) throw new CodeError('unsupported_version', '二维码版本较新，请更新应用');
  const get = (/** @type {string} */ k) => pairs.find(([n]) => n === k)?.[1];
  if (pairs.length === 0 || get('s') === undefined || get('s') === '') throw new CodeError('unsigned', '二维码没有签名，不能用于签到');
  if (pairs.length !== 2 || pairs[0][0] !== 'k' || pairs[1][0] !== 's') throw new CodeError('malformed', '不是监管平台的营业执照二维码');
  const kid = pairs[0][1];
  const signature = decodeB64url(pairs[1][1]);
  if (kid.length !== 8 || !B64URL.test(kid) || decodeB64url(kid) === null || !signature || signature.length !== 64 || pairs[1][1].length !== 86) {
    throw new CodeError('malformed', '不是监管平台的营业执照二维码');
  }
  return { base, uscc, kid, signature };
}

/** @param {Uint8Array} sig @param {Uint8Array} msg @param {Uint8Array} pub */
async function verifyEd25519(sig, msg, pub) {
  /** @param {Uint8Array} b */
  const buf = (b) => /** @type {ArrayBuffer} */ (b.slice().buffer);
  try {
    const key = await crypto.subtle.importKey('raw', buf(pub), { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, buf(sig), buf(msg));
  } catch {
    return ed.verifyAsync(sig, msg, pub); // a browser without Ed25519 in WebCrypto
  }
}

/**
 * Verifies an enterprise code offline against a key set
 * ({keys: [{kid, alg, key, status, notAfter?}]}), as qr/doc.go says:
 * the named key first, then every other (altered), else unknown key or
 * forged; a retired key's codes are refused. wantUSCC, when given, is the
 * enterprise the check-in is for.
 * @param {any} keySet
 * @param {string} text
 * @param {{now?: Date, wantUSCC?: string}} [o]
 */
export async function verifyEnterpriseCode(keySet, text, o = {}) {
  const code = parseEnterpriseCode(text);
  const now = o.now ?? new Date();
  const keys = (keySet?.keys ?? []).filter((/** @type {any} */ k) => k.alg === 'Ed25519');
  const enc = new TextEncoder();
  const msg = (/** @type {string} */ kid) => enc.encode(`fc-ent-1\n${code.uscc}\n${kid}`);
  const named = keys.find((/** @type {any} */ k) => k.kid === code.kid);
  let ok = false;
  if (named) {
    const pub = decodeB64url(named.key);
    ok = !!pub && pub.length === 32 && (await verifyEd25519(code.signature, msg(named.kid), pub));
  }
  if (ok) {
    if (named.status === 'retired' || (named.notAfter && now.getTime() >= Date.parse(named.notAfter))) {
      throw new CodeError('retired_key', '二维码的签名密钥已停用，请企业更换新的营业执照二维码');
    }
  } else {
    for (const k of keys) {
      if (k === named) continue;
      const pub = decodeB64url(k.key);
      if (pub && pub.length === 32 && (await verifyEd25519(code.signature, msg(k.kid), pub))) {
        throw new CodeError('altered', '二维码已被篡改，不能用于签到');
      }
    }
    if (!named) throw new CodeError('unknown_key', '二维码的签名密钥未知：请联网同步后再扫，或该码不是监管平台签发的');
    throw new CodeError('forged', '二维码签名不符：该码是伪造的或被改动过，不能用于签到');
  }
  if (o.wantUSCC && code.uscc !== o.wantUSCC) {
    throw new CodeError('wrong_enterprise', `这是另一家企业（${code.uscc}）的二维码，不是本任务的检查对象`);
  }
  return code;
}
