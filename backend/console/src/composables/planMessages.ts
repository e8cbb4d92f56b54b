// The server's refusals of a plan, in Chinese. The server's messages are
// English and for developers; those a person filling in the plan form can
// act on are translated here, with the codes in them turned into names.
// Anything else keeps the client's general sentence and the original text.
import { ApiError } from '../api/client'
import { departmentName, itemName } from './names'

type Pattern = [RegExp, (m: RegExpMatchArray) => string]

const patterns: Pattern[] = [
  [/item (\S+) is not on the item list/, (m) => `抽查事项“${itemName(m[1])}”不在抽查事项清单中（清单之外无检查）。`],
  [/item (\S+) belongs to department (\S+), which does not take part/, (m) => `抽查事项“${itemName(m[1])}”属于${departmentName(m[2])}，该部门未参与本计划：请将其列为参与部门。`],
  [/item (\S+) has no checklist yet/, (m) => `抽查事项“${itemName(m[1])}”还没有检查表单，请先为其制定检查细则。`],
  [/stratum (\S+): ratio (\d+) bp exceeds the cap of (\d+) bp of general item (\S+)/, (m) => `分层 ${m[1]} 的抽取比例 ${pct(m[2])} 超过一般事项“${itemName(m[4])}”的比例上限 ${pct(m[3])}。`],
  [/only managers of the lead department (\S+) may/, (m) => `只有牵头部门（${departmentName(m[1])}）的负责人可以办理。`],
  [/unknown department "?([^"]+)"?/, (m) => `部门“${m[1]}”不存在。`],
  [/the lead department of a plan cannot change/, () => '计划的牵头部门不能更改。'],
  [/team size must be at least 2/, () => '现场检查至少需要两名执法人员，检查组人数不少于 2。'],
  [/team size must be at most (\d+)/, (m) => `检查组人数不超过 ${m[1]}。`],
  [/a joint plan of (\d+) departments needs a team size of at least (\d+)/, (m) => `${m[1]} 个部门联合抽查，检查组人数不少于 ${m[2]}。`],
  [/a plan needs between 1 and (\d+) items/, (m) => `一个计划需要 1 至 ${m[1]} 个抽查事项。`],
  [/a plan needs between 1 and 12 batches/, () => '一个计划需要 1 至 12 个批次。'],
  [/give a rule for each stratum or a default rule/, () => '请为各分层设置抽取比例或户数，或设置默认规则。'],
  [/year \d+ is out of range/, () => '年度应在 2000 至 2100 之间。'],
  [/name is required/, () => '请填写计划名称。'],
  [/batch (.+): .* is not a valid period/, (m) => `批次“${m[1]}”的起止日期无效。`],
  [/a change to a published plan needs a reason|the reason must have/, () => '修改已公布的计划须填写变更理由（2 至 500 字）。'],
  [/entropy source|entropySource|result .*must come after/i, () => '新版本的随机数来源无效：须是本次修改之后才开奖的一期（期号与开奖日期须对应）。'],
  [/plan \S+ is closed/, () => '该计划已关闭，不能再修改。'],
  [/was changed by someone else/, () => '计划已被他人修改，请刷新后重试。'],
  [/filter: region "([^"]+)"/, (m) => `行政区划“${m[1]}”应为 1 至 9 位数字。`],
  [/filter: industry "([^"]+)"/, (m) => `行业“${m[1]}”应为国民经济行业分类（GB/T 4754）代码。`],
  [/fixed once the round's entropy result is out|registered in round/, () => '该计划已登记到协同抽取轮次，轮次随机数公布后不能再修改。'],
]

function pct(bp: string): string {
  return (Number(bp) / 100).toFixed(2).replace(/\.?0+$/, '') + '%'
}

// planMessage is what the page says about a refused plan.
export function planMessage(e: ApiError): string {
  for (const [re, say] of patterns) {
    const m = e.serverMessage.match(re)
    if (m) return say(m)
  }
  return e.serverMessage ? `${e.message}（${e.serverMessage}）` : e.message
}
