// The one thin client of the console: same-origin fetches with the session
// cookie, the CSRF token on every request that changes something, and
// errors turned into ApiError with a message in Chinese.
import type { components } from './schema'

export type Schemas = components['schemas']

let csrfToken = ''

export function setCSRFToken(t: string) {
  csrfToken = t
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public serverMessage: string,
  ) {
    super(chineseMessage(status, code))
  }
}

// What a person is told: the server's messages are English and for
// developers; the status says enough.
function chineseMessage(status: number, code: string): string {
  switch (true) {
    case status === 0:
      return '无法连接服务器，请检查网络后重试。'
    case status === 401:
      return '登录已失效，请重新登录。'
    case status === 403:
      return '您没有权限查看或办理此项内容。'
    case status === 404:
      return '要找的内容不存在，或不在您的部门范围内。'
    case status === 409:
      return '内容已被他人修改，请刷新后重试。'
    case status === 429:
      return '操作过于频繁，请稍后再试。'
    case status === 400 || code === 'invalid':
      return '填写的内容不符合要求，请检查后重试。'
    default:
      return '服务器暂时无法处理，请稍后重试。'
  }
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (unsafe.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'network', '')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown = undefined
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string }
    throw new ApiError(res.status, e.code ?? '', e.message ?? '')
  }
  return data as T
}

export const get = <T>(path: string) => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body)
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, body)
export const del = <T>(path: string) => request<T>('DELETE', path)

// query builds a query string from the set values.
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

// upload sends a file as the request body with XMLHttpRequest, whose
// upload events give the progress (fetch has none); onProgress gets the
// fraction sent, from 0 to 1.
export function upload<T>(path: string, file: Blob, onProgress: (sent: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream')
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken)
    xhr.withCredentials = true
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
    }
    xhr.onerror = () => reject(new ApiError(0, 'network', ''))
    xhr.onload = () => {
      let data: unknown = undefined
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined
      } catch {
        data = undefined
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        const e = (data ?? {}) as { code?: string; message?: string }
        reject(new ApiError(xhr.status, e.code ?? '', e.message ?? ''))
        return
      }
      resolve(data as T)
    }
    xhr.send(file)
  })
}
