// Dates and times as people in China read them: Asia/Shanghai, 24-hour.
const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})
const date = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })

export function formatDateTime(iso?: string | null): string {
  return iso ? dateTime.format(new Date(iso)) : '—'
}

export function formatDate(iso?: string | null): string {
  return iso ? date.format(new Date(iso)) : '—'
}

export const kindNames: Record<string, string> = {
  enterprise: '企业',
  individual: '个体工商户',
  cooperative: '农民专业合作社',
  product: '产品',
  project: '项目',
  behaviour: '行为',
}

export const targetStatusNames: Record<string, string> = {
  active: '存续（在营）',
  closed: '停业/歇业',
  deregistered: '注销',
  revoked: '吊销',
}

export const taskStatusNames: Record<string, string> = {
  pending: '待协调',
  assigned: '已派发',
  accepted: '已接收',
  checked_in: '检查中',
  submitted: '待审核',
  approved: '已审核',
  returned: '已退回',
  published: '已公示',
  cancelled: '已取消',
  replaced: '已替换',
}

export const planStateNames: Record<string, string> = {
  draft: '草稿',
  published: '已公布',
  drawn: '已抽取',
  closed: '已关闭',
}
