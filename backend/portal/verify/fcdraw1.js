// fc-draw-1 in the browser: an independent re-implementation of the draw
// (backend/draw/doc.go is the normative text, docs/draw.md explains it)
// that checks a published draw record step by step, with WebCrypto only
// and no help from the server.
//
// It is written from the specification, not translated from the Go code,
// and is the third implementation next to the Go engine and
// testdata/draw/gen_vectors.py; its tests (fcdraw1.test.mjs, Node's test
// runner) run it on the same vectors.
//
// verify(record, {subtle, onStep}) resolves to {ok, steps}: each step is
// {id, title, ok, detail}; the steps stop at the first that does not come
// out the same, and ok is true only when every step did. The page says
// 验证通过 only then.

const ALGORITHM = 'fc-draw-1';
const utf8 = new TextEncoder();

// ------------------------------------------------------------ bytes

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function fromHex(s) {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Identifiers are ordered by their UTF-8 bytes (JavaScript's < compares
// UTF-16 code units, which orders some characters differently).
const encoded = new Map();
function bytesOf(s) {
  let b = encoded.get(s);
  if (b === undefined) {
    b = utf8.encode(s);
    encoded.set(s, b);
  }
  return b;
}

export function compareBytes(a, b) {
  if (a === b) return 0;
  const x = bytesOf(a), y = bytesOf(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

// PRNs and keys are 16 hex digits: fixed width, so string order is number order.
function byKeyThenID(a, b) {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return compareBytes(a.id, b.id);
}

// ------------------------------------------------------------ crypto

async function sha256(subtle, bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

async function macKey(subtle, seed) {
  return subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

// mac64 is the first 8 bytes of HMAC-SHA256(seed, msg), as 16 hex digits.
async function mac64(subtle, key, msg) {
  const sig = new Uint8Array(await subtle.sign('HMAC', key, utf8.encode(msg)));
  return hex(sig.subarray(0, 8));
}

// mapLimited runs fn over items with at most limit promises in flight, so
// that a population of 100,000 does not queue 100,000 signatures at once.
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ------------------------------------------------------------ entropy sources

// The closed table of docs/draw.md "Entropy sources".
const SOURCES = {
  'fc-3d': { name: '福彩3D', issueDigits: 7, weekdays: null, value: (v) => digitsForm(v, 3) },
  'tc-pl5': { name: '体彩排列五', issueDigits: 5, weekdays: null, value: (v) => digitsForm(v, 5) },
  'fc-ssq': { name: '福彩双色球', issueDigits: 7, weekdays: [2, 4, 0], value: (v) => ballsForm(v, [[6, 33], [1, 16]]) },
  'tc-dlt': { name: '体彩超级大乐透', issueDigits: 5, weekdays: [1, 3, 6], value: (v) => ballsForm(v, [[5, 35], [2, 12]]) },
  'drand-quicknet': { name: 'drand quicknet 随机信标', genesis: 1692803367, period: 3, value: (v) => /^[0-9a-f]{64}$/.test(v) },
};

function digitsForm(v, n) {
  return new RegExp('^[0-9]( [0-9]){' + (n - 1) + '}$').test(v);
}

function ballsForm(v, groups) {
  const parts = v.split(' + ');
  if (parts.length !== groups.length) return false;
  return parts.every((part, g) => {
    const [count, top] = groups[g];
    if (!new RegExp('^[0-9]{2}( [0-9]{2}){' + (count - 1) + '}$').test(part)) return false;
    const nums = part.split(' ').map(Number);
    return nums.every((x, i) => x >= 1 && x <= top && (i === 0 || x > nums[i - 1]));
  });
}

const dayForm = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

function realDay(s) {
  if (!dayForm.test(s)) return null;
  const d = new Date(s + 'T00:00:00Z');
  return !isNaN(d) && d.toISOString().slice(0, 10) === s ? d : null;
}

function sourceValid(src) {
  const k = src && SOURCES[src.source];
  if (!k) return false;
  const keys = Object.keys(src).sort().join(',');
  if (k.genesis !== undefined) {
    return keys === 'round,source' && Number.isInteger(src.round) && src.round >= 1 && src.round <= 1e12;
  }
  if (keys !== 'date,issue,source') return false;
  const day = realDay(src.date);
  if (!day) return false;
  if (k.weekdays && !k.weekdays.includes(day.getUTCDay())) return false;
  const year = k.issueDigits === 7 ? src.date.slice(0, 4) : src.date.slice(2, 4);
  return new RegExp('^[0-9]{' + k.issueDigits + '}$').test(src.issue) &&
    src.issue.startsWith(year) && src.issue.slice(year.length) !== '000';
}

function sourceName(src) {
  const k = SOURCES[src.source];
  if (k.genesis !== undefined) return `${k.name} 第${src.round}轮`;
  return `${k.name} 第${src.issue}期 ${src.date}`;
}

// entropyText is the public entropy written from a declared source and a
// value, or null when either is not in its form.
export function entropyText(src, value) {
  if (!sourceValid(src) || !SOURCES[src.source].value(value)) return null;
  return sourceName(src) + ' ' + value;
}

// resultDay is the day (Asia/Shanghai) the source's result is published.
function resultDay(src) {
  const k = SOURCES[src.source];
  if (k.genesis !== undefined) {
    const t = (k.genesis + (src.round - 1) * k.period + 8 * 3600) * 1000;
    return new Date(t).toISOString().slice(0, 10);
  }
  return src.date;
}

// ------------------------------------------------------------ the draw

function eligibleFor(rec, departments, target, used, unavailable) {
  const day = rec.drawDate;
  return rec.inspectors.filter((i) =>
    departments.includes(i.departmentId) &&
    i.certExpiry >= day &&
    !(i.leave || []).some((p) => p.from <= day && day <= p.to) &&
    !(i.conflicts || []).includes(target) &&
    !unavailable.has(i.id) &&
    !(i.taskCap > 0 && i.openTasks + (used.get(i.id) || 0) >= i.taskCap));
}

// team builds step 7 for one target and counts its members as used.
async function team(ctx, target, used, unavailable = new Set()) {
  const { subtle, key, rec, departments } = ctx;
  const pool = eligibleFor(rec, departments, target, used, unavailable);
  const ranked = await mapLimited(pool, 64, async (i) => ({ id: i.id, dept: i.departmentId, key: await mac64(subtle, key, 'inspector\n' + target + '\n' + i.id) }));
  ranked.sort(byKeyThenID);
  if (ranked.length < 2) {
    return { team: [], eligibleInspectors: ranked.length, unassigned: true, unassignedReason: 'too-few-inspectors' };
  }
  const size = Math.min(rec.teamSize, ranked.length);
  const members = [];
  if (departments.length > 1) {
    for (const d of departments) {
      const first = ranked.find((i) => i.dept === d);
      if (first) members.push(first.id);
    }
  }
  for (const i of ranked) {
    if (members.length === size) break;
    if (!members.includes(i.id)) members.push(i.id);
  }
  for (const m of members) used.set(m, (used.get(m) || 0) + 1);
  const out = { team: members, eligibleInspectors: ranked.length };
  if (size < rec.teamSize) out.short = true;
  return out;
}

function sameAssignment(recorded, computed) {
  return JSON.stringify(recorded.team || []) === JSON.stringify(computed.team) &&
    recorded.eligibleInspectors === computed.eligibleInspectors &&
    Boolean(recorded.short) === Boolean(computed.short) &&
    Boolean(recorded.unassigned) === Boolean(computed.unassigned) &&
    (recorded.unassignedReason || '') === (computed.unassignedReason || '');
}

function teamText(a) {
  if (a.unassigned) return `未分配（可用检查人员 ${a.eligibleInspectors} 人，不足 2 人）`;
  return `${a.team.join('、')}${a.short ? '（不足额）' : ''}，可用检查人员 ${a.eligibleInspectors} 人`;
}

// ------------------------------------------------------------ verification

class Failed extends Error {}

// verify checks rec step by step. subtle is a WebCrypto SubtleCrypto
// (crypto.subtle in a browser or in Node); onStep, when given, is called
// with each step as it completes, so a page can show progress.
export async function verify(rec, { subtle = globalThis.crypto?.subtle, onStep } = {}) {
  const steps = [];
  const step = (id, title, ok, detail) => {
    const s = { id, title, ok, detail };
    steps.push(s);
    if (onStep) onStep(s);
    if (!ok) throw new Failed(detail);
  };
  try {
    if (!subtle) {
      step('crypto', '浏览器支持', false, '本浏览器不提供 WebCrypto（需要 HTTPS 或本机地址），无法在本机验证');
    }
    await run(rec, subtle, step);
  } catch (e) {
    if (!(e instanceof Failed)) {
      steps.push({ id: 'record', title: '抽取记录', ok: false, detail: '记录格式不完整，无法验证：' + (e && e.message) });
      if (onStep) onStep(steps[steps.length - 1]);
    }
  }
  return { ok: steps.length > 0 && steps.every((s) => s.ok), steps };
}

async function run(rec, subtle, step) {
  if (!rec || rec.algorithm !== ALGORITHM) {
    step('algorithm', '算法', false, `记录的算法是 ${rec && JSON.stringify(rec.algorithm)}，不是 ${ALGORITHM}`);
  }
  if (!/^[0-9a-f]{64}$/.test(rec.secret || '')) {
    step('commitment', '承诺值', false, '记录中的秘密值不是 64 位小写十六进制数');
  }
  // 1. The secret is the one committed to when the plan was published.
  const commitment = hex(await sha256(subtle, fromHex(rec.secret)));
  step('commitment', '承诺值', commitment === rec.commitment,
    commitment === rec.commitment
      ? `SHA-256(秘密值) = ${commitment}，与计划发布时公开的承诺值一致`
      : `SHA-256(秘密值) = ${commitment}，记录的承诺值却是 ${rec.commitment}`);

  // 2. The public entropy is the declared source's result, written in its form.
  if (rec.entropySource) {
    const src = rec.entropySource;
    const ok = sourceValid(src);
    const prefix = ok ? sourceName(src) + ' ' : '';
    const value = ok && rec.publicEntropy.startsWith(prefix) ? rec.publicEntropy.slice(prefix.length) : null;
    const text = value === null ? null : entropyText(src, value);
    if (text !== rec.publicEntropy) {
      step('entropy', '公开随机数', false, `公开随机数“${rec.publicEntropy}”不是所声明来源（${ok ? sourceName(src) : '格式不正确的来源'}）的规范写法`);
    }
    const day = resultDay(src);
    step('entropy', '公开随机数', rec.drawDate >= day,
      rec.drawDate >= day
        ? `“${rec.publicEntropy}”是计划发布时声明的来源（${sourceName(src)}）的结果，写法规范；抽取日 ${rec.drawDate} 不早于开奖日 ${day}。该结果是否属实，请对照开奖公告`
        : `抽取日 ${rec.drawDate} 早于所声明来源的开奖日 ${day}`);
  } else {
    step('entropy', '公开随机数', true, `“${rec.publicEntropy}”（该记录早于“声明来源”规则，公开随机数为自由文本）`);
  }

  // 3. The seed.
  const seed = await sha256(subtle, utf8.encode(ALGORITHM + '\n' + rec.secret + '\n' + rec.publicEntropy + '\n' + rec.planId));
  step('seed', '种子', hex(seed) === rec.seed,
    hex(seed) === rec.seed
      ? `SHA-256("fc-draw-1" + 秘密值 + 公开随机数 + 计划编号) = ${hex(seed)}，与记录一致`
      : `重新计算的种子是 ${hex(seed)}，记录的却是 ${rec.seed}`);
  const key = await macKey(subtle, seed);

  // 4. A PRN for every candidate.
  const prns = new Map();
  await mapLimited(rec.population, 256, async (c) => {
    prns.set(c.id, await mac64(subtle, key, 'target\n' + c.id));
  });
  const recorded = [...rec.selected, ...rec.replacements.map((r) => ({ id: r.replacement, prn: r.prn }))];
  const wrongPRN = recorded.find((s) => prns.get(s.id) !== s.prn);
  step('prn', '随机数（PRN）', !wrongPRN,
    wrongPRN
      ? `对象 ${wrongPRN.id} 的随机数应为 ${prns.get(wrongPRN.id) ?? '（不在总体中）'}，记录的却是 ${wrongPRN.prn}`
      : `为总体的 ${rec.population.length} 个对象逐一计算了 HMAC-SHA256(种子, "target\\n" + 编号)，抽中对象的随机数与记录一致`);

  // 5. Strata: population, eligible and n from the rule.
  const byStratum = new Map();
  for (const c of rec.population) {
    if (!byStratum.has(c.stratum)) byStratum.set(c.stratum, []);
    byStratum.get(c.stratum).push(c);
  }
  const order = new Map();
  for (const s of rec.strata) {
    const members = byStratum.get(s.key) || [];
    const eligible = members.filter((c) => !c.excluded);
    const n = s.count !== undefined ? Math.min(s.count, eligible.length) : Math.floor((s.ratioBp * eligible.length + 9999) / 10000);
    const ok = members.length === s.population && eligible.length === s.eligible && n === s.n;
    if (!ok) {
      step('strata', '分层', false, `层“${s.key}”：总体 ${members.length}、可抽 ${eligible.length}、应抽 ${n}；记录为总体 ${s.population}、可抽 ${s.eligible}、应抽 ${s.n}`);
    }
    order.set(s.key, eligible.map((c) => ({ id: c.id, stratum: c.stratum, key: prns.get(c.id) })).sort(byKeyThenID));
  }
  const missing = [...byStratum.keys()].find((k) => !order.has(k));
  if (missing !== undefined) step('strata', '分层', false, `总体中有层“${missing}”，记录的分层里却没有`);
  step('strata', '分层', true, rec.strata.map((s) => `${s.key}：可抽 ${s.eligible}，抽取 ${s.n}`).join('；'));

  // 6. The selection: the n smallest PRNs of each stratum, in visit order.
  const chosen = [];
  for (const s of rec.strata) chosen.push(...order.get(s.key).slice(0, s.n));
  chosen.sort(byKeyThenID);
  for (let k = 0; k < Math.max(chosen.length, rec.selected.length); k++) {
    const want = chosen[k], got = rec.selected[k];
    if (!want || !got || want.id !== got.id || want.stratum !== got.stratum || got.order !== k + 1) {
      step('selection', '抽中对象', false, `第 ${k + 1} 位应为 ${want ? want.id : '（无）'}，记录为 ${got ? got.id : '（无）'}`);
    }
  }
  step('selection', '抽中对象', true, `各层按随机数从小到大取前 n 个，共 ${chosen.length} 个对象，顺序与记录一致`);

  // 7. Teams, one target at a time in visit order.
  const departments = [...new Set(rec.departments)].sort(compareBytes);
  const ctx = { subtle, key, rec, departments };
  const used = new Map();
  for (const s of rec.selected) {
    const a = await team(ctx, s.id, used);
    if (!sameAssignment(s, a)) {
      step('teams', '检查组', false, `对象 ${s.id}（第 ${s.order} 位）的检查组应为 ${teamText(a)}；记录为 ${teamText({ eligibleInspectors: s.eligibleInspectors, team: s.team || [], short: s.short, unassigned: s.unassigned })}`);
    }
  }
  step('teams', '检查组', true, `${rec.selected.length} 个对象的检查人员逐一按 HMAC 排序匹配，与记录一致`);

  // 8. Replacements, in record order.
  const replaced = new Set();
  const taken = new Set(rec.selected.map((s) => s.id));
  const strata = new Map(rec.selected.map((s) => [s.id, s.stratum]));
  for (const [k, r] of rec.replacements.entries()) {
    const stratum = strata.get(r.replaced);
    if (stratum === undefined || replaced.has(r.replaced)) {
      step('replacements', '替补', false, `第 ${k + 1} 次替补替换的 ${r.replaced} 不是在册的抽中对象`);
    }
    const next = order.get(stratum).find((c) => !taken.has(c.id));
    if (!next || next.id !== r.replacement || r.stratum !== stratum) {
      step('replacements', '替补', false, `第 ${k + 1} 次替补应为 ${next ? next.id : '（该层已无可替补对象）'}，记录为 ${r.replacement}`);
    }
    // used(i) from the active targets other than the replaced one.
    const use = new Map();
    const active = [...rec.selected.map((s) => [s.id, s.team]), ...rec.replacements.slice(0, k).map((x) => [x.replacement, x.team])];
    for (const [id, members] of active) {
      if (id === r.replaced || replaced.has(id)) continue;
      for (const m of members || []) use.set(m, (use.get(m) || 0) + 1);
    }
    const a = await team(ctx, r.replacement, use);
    if (!sameAssignment(r, a)) {
      step('replacements', '替补', false, `替补对象 ${r.replacement} 的检查组应为 ${teamText(a)}，记录为 ${teamText({ eligibleInspectors: r.eligibleInspectors, team: r.team || [], short: r.short, unassigned: r.unassigned })}`);
    }
    replaced.add(r.replaced);
    taken.add(r.replacement);
    strata.set(r.replacement, stratum);
  }
  step('replacements', '替补', true, rec.replacements.length ? `${rec.replacements.length} 次替补均按原层抽取顺序取下一个对象，与记录一致` : '无替补');
}
