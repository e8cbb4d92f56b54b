// The server's refusals of a change in the results register, in Chinese
// (backend/planning/results.go words them in English for developers).
// Anything else keeps the client's general sentence.
import { ApiError } from '../api/client'
import { departmentName } from './names'

type Pattern = [RegExp, (m: RegExpMatchArray) => string]

const patterns: Pattern[] = [
  [/you proposed to withhold result/, () => '您本人提出了不予公开，须由本部门另一位负责人或审核人员确认。'],
  [/only managers of the lead department (\S+) may/, (m) => `只有牵头部门（${departmentName(m[1])}）的负责人可以办理。`],
  [/you are on the team of task/, () => '您参加了该任务的检查：是否公开由未参与检查的人员决定。'],
  [/the follow-up is entered by the team that checked/, () => '后续处置由实施检查的检查组录入（谁检查、谁录入）。'],
  [/the follow-up of result \S+ is entered/, () => '该结果的后续处置已录入，不能重复录入。'],
  [/is withheld \(依法不予公开\): it is not published/, () => '该结果已确认依法不予公开，不能公示。'],
  [/withholding the result of task \S+ is proposed/, () => '该结果已被提出不予公开：请先确认或驳回该提议。'],
  [/only a pending result can be withheld/, () => '只有待公示的结果可以提出不予公开。'],
  [/there is no proposal to withhold it/, () => '该结果没有待确认的不予公开提议。'],
  [/only a published result is corrected/, () => '只有已公示的结果可以更正；公示前请由审核人员退回任务修改。'],
  [/public versions, the most one result has/, () => '该结果的公示版本已达上限（20 个），不能再更正。'],
  [/a reason must be given/, () => '请填写理由。'],
  [/the reason is limited to (\d+) bytes/, (m) => `理由不超过 ${m[1]} 字节（约 ${Math.floor(Number(m[1]) / 3)} 个汉字）。`],
  [/needs a rectification deadline/, () => '责令改正须填写整改期限。'],
  [/the rectification deadline \S+ must be after the result date/, () => '整改期限须在结果日期之后。'],
  [/the rectification deadline \S+ is more than (\d+) working days/, (m) => `整改期限不得超过结果日期后 ${m[1]} 个工作日。`],
  [/names the department: give its name/, () => '请填写移送或抄告的部门名称。'],
  [/其他 is described/, () => '选择“其他”时请填写说明。'],
  [/工作日历未收录/, (m) => m.input ?? ''],
  [/was changed by someone else|keeps changing|is being/, () => '该结果已被他人修改或正在办理，请刷新后重试。'],
  [/a publication takes 1 to (\d+) results/, (m) => `一次公示 1 至 ${m[1]} 条结果。`],
  [/session must be re-validated/, () => '登录状态需要重新验证，请刷新页面后重试。'],
]

// resultFailure is what the page says about a refused change.
export function resultFailure(e: unknown): string {
  if (!(e instanceof ApiError)) return '操作失败，请重试。'
  for (const [re, say] of patterns) {
    const m = e.serverMessage.match(re)
    if (m) return say(m)
  }
  return e.message
}
