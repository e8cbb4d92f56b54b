// The Chinese words of the backend's codes.
export const statusLabels: Record<string, string> = {
  pending: '待会签',
  assigned: '待接受',
  accepted: '已接受',
  checked_in: '已签到',
  submitted: '已提交',
  approved: '已审核',
  returned: '已退回',
  published: '已公示',
  cancelled: '已取消',
  replaced: '已替换',
};

/** Vant tag types by status: the state at a glance. */
export const statusTypes: Record<string, 'primary' | 'success' | 'warning' | 'danger' | 'default'> = {
  assigned: 'warning',
  accepted: 'primary',
  checked_in: 'primary',
  submitted: 'success',
  approved: 'success',
  published: 'success',
  returned: 'danger',
};

/** The official result list (抽查结果), labels of version 1. */
export const resultCodes: { code: string; label: string }[] = [
  { code: 'no-problem', label: '未发现问题' },
  { code: 'corrected', label: '发现问题已责令改正' },
  { code: 'follow-up', label: '发现问题待后续处理' },
  { code: 'not-disclosed', label: '未按规定公示应当公示的信息' },
  { code: 'unreachable', label: '通过登记的住所（经营场所）无法联系' },
  { code: 'obstructed', label: '不配合检查情节严重' },
  { code: 'no-activity', label: '未发现开展本次抽查涉及的经营活动' },
  { code: 'closed', label: '已关闭停业或正在组织清算' },
  { code: 'deregistered', label: '已注销/已吊销' },
];

export const followUps = ['无需后续处置', '责令改正', '发现案件线索', '抄告相关部门', '停止检查', '其他'];

export const removedReasons: Record<string, string> = {
  reassigned: '已改派给其他检查组',
  cancelled: '任务已取消',
  replaced: '检查对象已被替换',
  removed: '任务已移出您的范围',
};

/** The reasons of a check-in without a task (backend CheckInReason). */
export const checkInReasons: { code: string; label: string; hint: string }[] = [
  { code: 'complaint', label: '投诉举报', hint: '依投诉举报到场，填写投诉举报编号' },
  { code: 'referral', label: '转办交办', hint: '其他部门转办或上级交办，填写转办单编号' },
  { code: 'emergency', label: '紧急情况', hint: '来不及建任务：说明情况，10 日内补建任务' },
];

/** Check-in flags the phone learns back (backend checkin.go). */
export const checkInFlags: Record<string, string> = {
  'no-position': '无定位',
  'manual-uscc': '手工输入代码',
  'far-away': '距登记地址较远',
  'no-task': '无任务',
};

export const entityLabels: Record<string, string> = {
  task: '任务状态',
  checkin: '签到',
  answers: '检查表答案',
  result: '检查结果',
  evidence: '证据清单',
};

/** Is a task still to be worked on (for overdue marks)? */
export function open(status: string): boolean {
  return ['pending', 'assigned', 'accepted', 'checked_in', 'returned'].includes(status);
}

/**
 * A refused mutation in plain Chinese: what happened and what to do.
 */
export function outcomeText(o: { status: string; code?: string; message?: string; missingPhotos?: string[]; serverStatus?: string; entity: string }): { title: string; advice: string } {
  const what = entityLabels[o.entity] ?? '操作';
  const server = o.serverStatus ? `服务器上的任务状态为“${statusLabels[o.serverStatus] ?? o.serverStatus}”。` : '';
  if (o.status === 'conflict') {
    return { title: `${what}未被接受：任务已被他人修改`, advice: `${server}请查看最新的任务内容，确认后重新提交。` };
  }
  if (o.missingPhotos && o.missingPhotos.length > 0) {
    return { title: `${what}未被接受：${o.missingPhotos.length} 个检查项缺少照片`, advice: '请为标注“需拍照”的检查项拍摄照片后重新提交。' };
  }
  const m = o.message ?? '';
  if (/submitted|no longer change|can no longer/i.test(m)) {
    return { title: `${what}未被接受：任务已提交，不能再修改`, advice: `${server}如需修改，请联系审核人员退回任务。` };
  }
  if (/required and has no answer/i.test(m)) {
    return { title: `${what}未被接受：有必答项未填写`, advice: '请补全检查表中的必答项后重新提交。' };
  }
  if (/two|officer|check(ed)? in/i.test(m)) {
    return { title: `${what}未被接受：签到人数不足`, advice: '现场检查需两名持证执法人员签到，请同组人员签到并同步后重新提交。' };
  }
  return { title: `${what}未被服务器接受`, advice: `${server}请核对后重新操作；如有疑问请联系管理员。` };
}
