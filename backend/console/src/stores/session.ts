// The browser session: who is logged in and the CSRF token of the session.
// The cookie itself is HttpOnly; the page never sees it.
import { reactive } from 'vue'
import { ApiError, del, get, post, setCSRFToken, type Schemas } from '../api/client'

type SessionInfo = Schemas['SessionInfo']

export const session = reactive<{ info: SessionInfo | null; checked: boolean }>({ info: null, checked: false })

function keep(info: SessionInfo | null) {
  session.info = info
  session.checked = true
  setCSRFToken(info?.csrfToken ?? '')
}

export async function loadSession(): Promise<SessionInfo | null> {
  try {
    keep(await get<SessionInfo>('/api/v1/auth/session'))
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) keep(null)
    else throw e
  }
  return session.info
}

export async function login(username: string, password: string) {
  keep(await post<SessionInfo>('/api/v1/auth/session', { username, password }))
}

export async function logout() {
  try {
    await del('/api/v1/auth/session')
  } finally {
    keep(null)
  }
}

export type Role = 'admin' | 'manager' | 'reviewer' | 'inspector' | 'oversight'

export function hasRole(...roles: Role[]): boolean {
  return !!session.info && roles.includes(session.info.user.role as Role)
}

export const roleNames: Record<string, string> = {
  admin: '系统管理员',
  manager: '业务科室负责人',
  reviewer: '审核人员',
  inspector: '执法检查人员',
  oversight: '监督人员',
}
