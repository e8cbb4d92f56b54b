// The importer's row errors in Chinese. Its messages are English (the
// command line prints them); a person fixing a spreadsheet reads these.
// A reason no pattern knows is shown as it is.
type Pattern = [RegExp, (m: RegExpMatchArray) => string]

const patterns: Pattern[] = [
  [/USCC \S+ must be 18 characters/, () => '统一社会信用代码应为 18 位。'],
  [/USCC \S+ has an invalid character "?(.)"? at position (\d+)/, (m) => `统一社会信用代码第 ${m[2]} 位的字符“${m[1]}”无效。`],
  [/USCC \S+: positions 3-8 must be the administrative division code/, () => '统一社会信用代码第 3 至 8 位应为行政区划代码。'],
  [/USCC \S+ has a wrong check character \(want (.)\)/, (m) => `统一社会信用代码校验位错误（应为 ${m[1]}），请核对。`],
  [/USCC \S+ is the code of/, () => '统一社会信用代码与所填的主体类型不符。'],
  [/the USCC \(or target id\) is required/, () => '缺少统一社会信用代码。'],
  [/the kind is required/, () => '无法从代码判断主体类型，请填写“类型”。'],
  [/the name is required/, () => '缺少名称。'],
  [/region code .* must be a six-digit/, () => '行政区划代码应为 6 位数字（GB/T 2260）。'],
  [/the credit class \(A, B, C or D\) is required/, () => '缺少信用风险分类（A、B、C 或 D）。'],
  [/credit class .* must be A, B, C or D/, () => '信用风险分类应为 A、B、C 或 D（也可写 A类…D类、低风险、一般风险、较高风险、高风险）。'],
  [/(\S+) also appears in row (\d+); only the first is imported/, (m) => `与第 ${m[2]} 行重复（${m[1]}），只导入第一行。`],
  [/is not a yes\/no value/, () => '应填“是”或“否”。'],
  [/kind .* is unknown/, () => '类型无法识别：应为企业、个体工商户、农民专业合作社、产品、工程项目或行为。'],
  [/status .* is unknown/, () => '登记状态无法识别：应为存续、停业、注销或吊销。'],
  [/the (longitude|latitude) is required when/, () => '经度和纬度须同时填写。'],
  [/(longitude|latitude) .* is out of range/, (m) => `${m[1] === 'longitude' ? '经度' : '纬度'}超出范围。`],
  [/(longitude|latitude) .* is not a number/, (m) => `${m[1] === 'longitude' ? '经度' : '纬度'}应为数字。`],
  [/the kind of target \S+ cannot change/, () => '已登记对象的类型不能通过导入更改。'],
  [/date .* must be YYYY-MM-DD/, () => '日期格式应为 YYYY-MM-DD。'],
  [/is not a whole number/, () => '应为整数。'],
  [/is not a number/, () => '应为数字。'],
  [/was changed by someone else during the import/, () => '导入期间该记录被他人修改，请重新导入该文件。'],
  [/the row has (\d+) cells but the header only (\d+)/, (m) => `该行有 ${m[1]} 个单元格，表头只有 ${m[2]} 列：多了分隔符，或有值没有表头？`],
  [/the row has (\d+) cells but the header has (\d+)/, (m) => `该行有 ${m[1]} 个单元格，表头有 ${m[2]} 列：少了分隔符？`],
  [/the cell has a value but its column has no header/, () => '该单元格有值，但所在列没有表头。'],
  [/neither UTF-8 nor GB18030/, () => '单元格含有无法识别的字符，请将文件另存为“CSV UTF-8”。'],
]

export function importReason(reason: string): string {
  for (const [re, say] of patterns) {
    const m = reason.match(re)
    if (m) return say(m)
  }
  return reason
}
