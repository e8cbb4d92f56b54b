// The server's refusals of a directory entry (an inspector, an expert, a
// checklist version), in Chinese and with the form field they concern, so
// that the page shows each next to its field. The server's messages are
// English and for developers; anything not matched here keeps the
// client's general sentence and the original text.
import { reactive, ref } from 'vue'
import { ApiError } from '../api/client'

type Pattern = [RegExp, string, (m: RegExpMatchArray) => string]

export type FieldMessage = { field: string; text: string }

const inspector: Pattern[] = [
  [/inspector id "?([^" ]*)"? is malformed/, 'id', () => '人员编号应为 1 至 64 位小写字母、数字、“-”或“_”。'],
  [/name must|name is/, 'name', () => '请填写姓名（1 至 50 字）。'],
  [/department "?([^"]*)"? is malformed|unknown department/, 'departmentId', () => '请选择所属部门。'],
  [/certificate number .* must be/, 'certNo', () => '执法证号应为 4 至 32 位字母、数字或“-”。'],
  [/certificate .* belongs to another inspector|or certificate (\S+) already exists/, 'certNo', () => '该执法证号已登记在其他人员名下（或人员编号已存在）。'],
  [/certificate expiry .* must be YYYY-MM-DD/, 'certExpiry', () => '请选择执法证有效期截止日。'],
  [/specialties/, 'specialties', () => '专长最多 16 项，每项不超过 40 字。'],
  [/region code/, 'regionCode', () => '行政区划代码应为 6 位或 9 位数字。'],
  [/conflict|declared conflicts/, 'conflicts', () => '回避企业须填写统一社会信用代码（或编号）与理由（理由不超过 200 字），最多 256 项。'],
  [/leave/, 'leave', () => '请假期间的结束日不能早于开始日，最多 64 段。'],
  [/task cap/, 'taskCap', () => '同时承担的任务上限应在 0 至 1000 之间（0 为不限）。'],
  [/there is no login "?([^"]+)"?/, 'userId', (m) => `没有登录账号“${m[1]}”。`],
  [/login (\S+) is a (\S+), not an inspector/, 'userId', (m) => `账号“${m[1]}”不是执法检查人员账号，不能关联。`],
  [/login (\S+) is not an inspector of (\S+)/, 'userId', (m) => `账号“${m[1]}”不属于该部门的执法检查人员。`],
  [/login (\S+) is linked to inspector (\S+) already/, 'userId', (m) => `账号“${m[1]}”已关联到人员 ${m[2]}。`],
  [/you may only manage inspectors of your own department/, '', () => '您只能维护本部门的执法检查人员。'],
  [/version/, '', () => '该人员已被他人修改，请刷新后重试。'],
]

const expert: Pattern[] = [
  [/expert id/, 'id', () => '专家编号应为 1 至 64 位小写字母、数字、“-”或“_”。'],
  [/expert \S+ already exists/, 'id', () => '该专家编号已存在。'],
  [/organisation/, 'organisation', () => '请填写所在单位（1 至 100 字）。'],
  [/name/, 'name', () => '请填写姓名（1 至 50 字）。'],
  [/specialties/, 'specialties', () => '专长最多 16 项，每项不超过 40 字。'],
  [/conflict/, 'conflicts', () => '回避企业须填写统一社会信用代码（或编号）与理由，最多 256 项。'],
]

const template: Pattern[] = [
  [/at least one question/, '', () => '检查表至少需要一个问题。'],
  [/at most 200 questions/, '', () => '检查表最多 200 个问题。'],
  [/question (\d+): id "([^"]*)" must be/, 'q$1.id', (m) => `第 ${m[1]} 题的编号“${m[2]}”应为 1 至 32 位小写字母、数字、“-”或“_”。`],
  [/question id "([^"]*)" is used twice/, 'id:$1', (m) => `问题编号“${m[1]}”重复。`],
  [/question (\S+) text/, 'id:$1', (m) => `问题“${m[1]}”的内容应为 1 至 500 字。`],
  [/question (\S+) basis/, 'id:$1', (m) => `问题“${m[1]}”的依据不超过 500 字。`],
  [/question (\S+): a choice needs at least two options/, 'id:$1', (m) => `问题“${m[1]}”是选择题，至少需要两个选项。`],
  [/question (\S+) options/, 'id:$1', (m) => `问题“${m[1]}”的选项最多 50 个，每个不超过 100 字。`],
  [/question (\S+): only choices take options/, 'id:$1', (m) => `问题“${m[1]}”不是选择题，不能有选项。`],
  [/question (\S+): type/, 'id:$1', (m) => `问题“${m[1]}”的答案类型无效。`],
  [/only the lead department's managers may change item/, '', () => '只有该事项牵头部门的负责人（或系统管理员）可以制定新版本。'],
  [/was changed by someone else/, '', () => '该事项的检查表已被他人修改，请刷新后重试。'],
]

function translate(patterns: Pattern[], e: unknown): FieldMessage {
  if (!(e instanceof ApiError)) return { field: '', text: '保存失败，请重试。' }
  if (e.status === 403 && !e.serverMessage.includes('may only') && !e.serverMessage.includes('lead department')) return { field: '', text: e.message }
  for (const [re, field, say] of patterns) {
    const m = e.serverMessage.match(re)
    if (m) return { field: field.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? ''), text: say(m) }
  }
  return { field: '', text: e.serverMessage ? `${e.message}（${e.serverMessage}）` : e.message }
}

export const inspectorMessage = (e: unknown) => translate(inspector, e)
export const expertMessage = (e: unknown) => translate(expert, e)
export const templateMessage = (e: unknown) => translate(template, e)

// useFieldErrors keeps a form's messages: one per field (errors[field])
// and one for the whole form.
export function useFieldErrors() {
  const errors = reactive<Record<string, string>>({})
  const formError = ref('')
  function clear() {
    for (const k of Object.keys(errors)) delete errors[k]
    formError.value = ''
  }
  // show puts a translated refusal next to its field, or on the form.
  function show(m: FieldMessage) {
    if (m.field) errors[m.field] = m.text
    else formError.value = m.text
  }
  return { errors, formError, clear, show }
}
