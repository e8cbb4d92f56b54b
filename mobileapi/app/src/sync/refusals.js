// @ts-check
// Why the server refused an evidence file, in plain Chinese for the
// inspector: its answer (status, code, message) is in English for app
// teams (backend/evidence, docs/evidence.md); the phone shows this with
// the server's own words under it.

/**
 * @param {number} status HTTP status (0 when the refusal came in a push's answer)
 * @param {string} code the server's code (invalid, payload_too_large, …)
 * @param {string} message the server's message
 * @returns {string}
 */
export function refusalText(status, code, message) {
  const m = message || '';
  if (status === 413 || code === 'payload_too_large') return '文件超过服务器允许的大小';
  if (/SHA-256/.test(m)) return '文件内容与拍摄时计算的校验值不符，文件可能已损坏';
  if (/must be one of|unknown type/.test(m)) return '文件内容不是此类证据允许的格式';
  if (/pixels/.test(m)) return '图片尺寸超出服务器允许的范围';
  if (/quota|at most \d+ pieces/.test(m)) return '本任务的证据文件已达上限';
  if (/no longer declared|already declared/.test(m)) return '服务器登记的文件与本机的不一致';
  return status ? `服务器拒收（HTTP ${status}）` : '服务器拒收';
}
