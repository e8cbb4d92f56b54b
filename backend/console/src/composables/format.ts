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

// The task states the department figures show, in the order of a task's life.
export const departmentTaskStatuses = ['assigned', 'accepted', 'checked_in', 'submitted', 'returned', 'approved', 'published']

export const planStateNames: Record<string, string> = {
  draft: '草稿',
  published: '已公布',
  drawn: '已抽取',
  closed: '已关闭',
}

export const reviewStateNames: Record<string, string> = {
  received: '待审核',
  has_issues: '已记录问题',
  approved: '已通过',
  returned: '已退回',
}

export const evidenceTypeNames: Record<string, string> = {
  photo: '照片',
  video: '视频',
  audio: '录音',
  document: '文件',
  signature: '签名',
}

export const checkInFlagNames: Record<string, string> = {
  'no-task': '无任务签到',
  'far-away': '距登记地址较远',
  'no-location': '对象无登记位置',
  'clock-skew': '设备时间偏差',
  'late-sync': '离线后迟传',
  'backfill-due': '待补录任务',
  'frequent-visit': '近期多次入企',
  'no-position': '无定位（手机未取得位置）',
  'manual-uscc': '手工输入信用代码（未扫码）',
}

// formatBytes writes a file size as people read it.
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

// formatDuration writes the time between two instants in hours and minutes.
export function formatDuration(fromIso?: string | null, toIso?: string | null): string {
  if (!fromIso || !toIso) return '—'
  const min = Math.round((new Date(toIso).getTime() - new Date(fromIso).getTime()) / 60000)
  if (min < 0) return '—'
  if (min < 60) return `${min} 分钟`
  return `${Math.floor(min / 60)} 小时 ${min % 60} 分钟`
}

export const exclusionNames: Record<string, string> = {
  inactive: '非存续状态',
  whitelist: '白名单',
  'annual-cap': '本年度已抽中同一事项',
  operator: '人工排除（有理由）',
  'visit-cap': '本年度入企次数已满',
}

// The entropy sources a plan may declare (backend.EntropyKinds), with the
// form of their result.
export const entropyKinds: { code: string; name: string; beacon: boolean; example: string }[] = [
  { code: 'fc-3d', name: '福彩3D', beacon: false, example: '5 8 2' },
  { code: 'tc-pl5', name: '体彩排列五', beacon: false, example: '3 0 7 1 9' },
  { code: 'fc-ssq', name: '福彩双色球', beacon: false, example: '03 09 15 22 28 31 + 07' },
  { code: 'tc-dlt', name: '体彩超级大乐透', beacon: false, example: '05 12 19 27 33 + 02 11' },
  { code: 'drand-quicknet', name: 'drand quicknet 随机信标', beacon: true, example: '64 位小写十六进制数' },
]

export function entropySourceText(s?: { source: string; issue?: string; date?: string; round?: number } | null): string {
  if (!s) return '—'
  const k = entropyKinds.find((x) => x.code === s.source)
  const name = k?.name ?? s.source
  return k?.beacon ? `${name} 第 ${s.round} 轮` : `${name} 第 ${s.issue} 期（${s.date} 开奖）`
}

export function ruleText(r: { count?: number; ratioBp?: number }): string {
  if (r.count != null) return `固定 ${r.count} 户`
  if (r.ratioBp != null) return `比例 ${(r.ratioBp / 100).toFixed(2).replace(/\.?0+$/, '')}%`
  return '—'
}

// backend.ComplaintCategories, as the enterprise page offers them.
export const complaintCategoryNames: Record<string, string> = {
  'no-certificate': '未出示执法证件或检查人员不足两名',
  conduct: '态度粗暴、不文明执法',
  'improper-gain': '吃拿卡要、索取财物',
  repeated: '重复检查、检查过多过频',
  burden: '影响正常经营',
  other: '其他',
}

export const checkInReasonNames: Record<string, string> = {
  complaint: '投诉举报',
  referral: '转办交办',
  emergency: '紧急情况',
}

export const keyRingNames: Record<string, string> = {
  tokens: '访问令牌',
  codes: '营业执照码与检查码',
  audit: '审计日志签名',
}

export const keyStatusNames: Record<string, string> = {
  next: '待启用',
  current: '当前使用',
  valid: '已轮换（仍可验证）',
  retired: '已停用',
}

export const platformNames: Record<string, string> = {
  android: 'Android',
  ios: 'iOS',
  harmonyos: '鸿蒙',
  other: '其他',
}

// What an audit entry of a task says, in Chinese.
export const taskActionNames: Record<string, string> = {
  'task.adhoc': '下达临时任务',
  'task.assigned': '派发',
  'task.accepted': '检查组接收',
  'task.checked_in': '现场签到',
  'task.submitted': '提交检查结果',
  'task.has_issues': '记录审核问题',
  'task.approved': '审核通过',
  'task.returned': '退回检查组',
  'task.published': '结果公示',
  'task.cancelled': '取消',
  'task.replaced': '替换检查对象',
  'task.replace': '替换检查对象',
  'task.reassign': '重新派组',
  'task.note': '备注',
  'task.update': '更新',
  'evidence.receive': '收到证据文件',
  'evidence.refuse': '拒收证据文件',
}

export function taskActionText(action: string): string {
  return taskActionNames[action] ?? (action.startsWith('task.request_') ? '跨部门协作' : action)
}

export const triggerNames: Record<string, string> = { complaint: '投诉举报', referral: '转办交办', campaign: '专项整治' }

// The official result categories (backend/work.go), with 发现问题经责令已改正,
// the category a re-check gives a 责令改正 result.
export const resultCodeNames: Record<string, string> = {
  'no-problem': '未发现问题',
  corrected: '发现问题已责令改正',
  'follow-up': '发现问题待后续处理',
  'not-disclosed': '未按规定公示应当公示的信息',
  unreachable: '通过登记的住所（经营场所）无法联系',
  obstructed: '不配合检查情节严重',
  'no-activity': '未发现开展本次抽查涉及的经营活动',
  closed: '已关闭停业或正在组织清算',
  deregistered: '已注销/已吊销',
  rectified: '发现问题经责令已改正',
}

// The answers to an enterprise's filing (异议, 信用修复, 移出), by kind.
export const creditOutcomeNames: Record<string, string> = {
  corrected: '更正',
  annotated: '加注',
  upheld: '维持',
  granted: '准予',
  refused: '不予准许',
}
export const creditOutcomesOf = (kind: string) => (kind === 'objection' ? ['corrected', 'annotated', 'upheld'] : ['granted', 'refused'])
// The official follow-up actions (后续处置).
export const followUpActionNames: Record<string, string> = {
  none: '无需后续处置',
  rectify: '责令改正',
  referral: '发现案件线索',
  notify: '抄告相关部门',
  other: '其他',
}

// The views of the results register (GET /api/v1/results?view=).
export const registerViewNames: Record<string, string> = {
  pending: '待公示',
  overdue: '已逾期',
  'withhold-proposed': '拟不予公开',
  withheld: '不予公开',
  published: '已公示',
}

// The certificate states the server answers (backend.CertState): expired
// once its last valid day has passed, expiring within the warning window
// (backend.CertificateWarningDays, 30 days), valid beyond it.
export const certificateWarningDays = 30
export const certStateNames: Record<string, string> = {
  expired: '已过期',
  expiring: `${certificateWarningDays} 天内到期`,
  valid: '有效',
}
export const certStateTags: Record<string, 'danger' | 'warning' | 'success'> = { expired: 'danger', expiring: 'warning', valid: 'success' }

export const itemCategoryNames: Record<string, string> = { key: '重点检查事项', general: '一般检查事项' }

export const checkMethodNames: Record<string, string> = {
  onsite: '现场检查',
  document: '书面检查',
  online: '网络监测',
  sampling: '抽样检测',
  other: '其他',
}

export const questionTypeNames: Record<string, string> = {
  yesno: '是 / 否',
  single: '单选',
  multiple: '多选',
  number: '数值',
  text: '文字',
  photo: '拍照',
}

// A day range as people read it ("2026-03-01 至 2026-03-05").
export function periodText(p: { from: string; to: string }): string {
  return p.from === p.to ? p.from : `${p.from} 至 ${p.to}`
}
