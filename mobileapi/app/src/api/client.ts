// The thin client of the routes the app calls outside the sync protocol:
// login and refresh. Errors come back as ApiError with the server's
// {"code","message"}; a failed network as status 0.
import type { LoginRequest, Tokens } from './types';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** The device was revoked by an administrator. */
  get revoked(): boolean {
    return this.status === 403 && /revoked/i.test(this.message);
  }
  /** The device waits for an administrator's approval (its first login). */
  get pending(): boolean {
    return this.status === 403 && this.code === 'device_pending';
  }
  /** An administrator did not approve the device. */
  get rejected(): boolean {
    return this.status === 403 && this.code === 'device_rejected';
  }
}

async function postJSON<T>(path: string, body: unknown): Promise<T> {
  let resp: Response;
  try {
    resp = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  const text = await resp.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a proxy's page
  }
  if (!resp.ok) {
    const b = (parsed ?? {}) as { code?: string; message?: string };
    throw new ApiError(resp.status, b.code ?? 'internal', b.message ?? `HTTP ${resp.status}`);
  }
  return parsed as T;
}

export function login(req: LoginRequest): Promise<Tokens> {
  return postJSON<Tokens>('/mobile/v1/auth/login', req);
}

export function refresh(refreshToken: string): Promise<Tokens> {
  return postJSON<Tokens>('/mobile/v1/auth/refresh', { refreshToken });
}
