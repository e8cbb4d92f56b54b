// Tests of the in-browser fc-draw-1 verifier on the shared draw vectors
// (testdata/draw, written by the independent Python implementation) and on
// records tampered with one field at a time. Run: node --test backend/portal/verify/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

import { verify, entropyText, compareBytes } from './fcdraw1.js';

const here = dirname(fileURLToPath(import.meta.url));
const vectors = join(here, '../../../testdata/draw');
const names = readdirSync(vectors).filter((f) => f.endsWith('.json'));
const load = (name) => JSON.parse(readFileSync(join(vectors, name), 'utf8')).expected;

test('there are vectors to check', () => {
  assert.ok(names.length >= 4, `found ${names}`);
});

for (const name of names) {
  test(`${name}: the recorded draw verifies, every step`, async () => {
    const seen = [];
    const res = await verify(load(name), { onStep: (s) => seen.push(s.id) });
    assert.equal(res.ok, true, JSON.stringify(res.steps.filter((s) => !s.ok)));
    assert.deepEqual(seen, ['commitment', 'entropy', 'seed', 'prn', 'strata', 'selection', 'teams', 'replacements']);
  });
}

// Each tampering must be caught at its step, and nothing after it runs.
const tamperings = [
  ['a PRN changed', 'single-department.json', (r) => { r.selected[2].prn = r.selected[2].prn.replace(/.$/, (c) => (c === '0' ? '1' : '0')); }, 'prn'],
  ['the secret changed', 'single-department.json', (r) => { r.secret = r.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')); }, 'commitment'],
  ['the public entropy changed', 'joint-plan.json', (r) => { r.publicEntropy = '1 2 3'; }, 'seed'],
  ['a declared value in the wrong form', 'declared-source.json', (r) => { r.publicEntropy = r.publicEntropy.replace(' + ', '+'); }, 'entropy'],
  ['drawn before the result', 'declared-source.json', (r) => { r.drawDate = '2026-05-02'; }, 'entropy'],
  ['a stratum count changed', 'joint-plan.json', (r) => { r.strata[0].n += 1; }, 'strata'],
  ['two targets swapped', 'scarce-inspectors.json', (r) => { [r.selected[0].id, r.selected[1].id] = [r.selected[1].id, r.selected[0].id]; [r.selected[0].prn, r.selected[1].prn] = [r.selected[1].prn, r.selected[0].prn]; }, 'selection'],
  ['a team member swapped', 'joint-plan.json', (r) => { r.selected[0].team.reverse(); }, 'teams'],
  ['an inspector added to the pool', 'single-department.json', (r) => { r.inspectors.push({ id: 'amr-99', departmentId: 'amr', certExpiry: '2099-01-01', openTasks: 0, taskCap: 0 }); }, 'teams'],
  ['a replacement changed', 'single-department.json', (r) => { r.replacements[0].replacement = r.selected[0].id; }, 'prn'],
  ['a replacement reordered', 'single-department.json', (r) => { r.replacements.reverse(); }, 'replacements'],
  ['another algorithm', 'single-department.json', (r) => { r.algorithm = 'fc-draw-0'; }, 'algorithm'],
];

for (const [what, name, tamper, at] of tamperings) {
  test(`${name}: ${what} is caught at step ${at}`, async () => {
    const rec = load(name);
    tamper(rec);
    const res = await verify(rec);
    assert.equal(res.ok, false);
    const last = res.steps[res.steps.length - 1];
    assert.equal(last.ok, false);
    assert.equal(last.id, at, `failed at ${last.id}: ${last.detail}`);
    assert.ok(res.steps.slice(0, -1).every((s) => s.ok), 'only the last step fails');
    assert.ok(last.detail.length > 0);
  });
}

test('a record that is not a record fails without passing', async () => {
  for (const rec of [null, {}, { algorithm: 'fc-draw-1', secret: 'zz' }, { algorithm: 'fc-draw-1', secret: 'a'.repeat(64), commitment: 'x' }]) {
    const res = await verify(rec);
    assert.equal(res.ok, false, JSON.stringify(rec));
  }
  const half = load('joint-plan.json');
  delete half.population;
  assert.equal((await verify(half)).ok, false);
});

test('no WebCrypto: says so and does not pass', async () => {
  const res = await verify(load('joint-plan.json'), { subtle: null });
  assert.equal(res.ok, false);
  assert.match(res.steps[0].detail, /WebCrypto/);
});

test('entropy sources write the values of testdata/draw/entropy/values.json', () => {
  const cases = JSON.parse(readFileSync(join(vectors, 'entropy/values.json'), 'utf8'));
  assert.ok(cases.length > 20);
  for (const c of cases) {
    const got = entropyText(c.entropySource, c.value);
    if (c.refused) assert.equal(got, null, JSON.stringify(c));
    else assert.equal(got, c.publicEntropy, JSON.stringify(c));
  }
});

test('identifiers order by UTF-8 bytes, not UTF-16 units', () => {
  // U+FF21 (Ａ) is EF BC A1 in UTF-8; U+1F600 is F0 9F 98 80: bytes put the
  // emoji last, UTF-16 (D83D < FF21) puts it first.
  assert.ok(compareBytes('\uFF21', '\u{1F600}') < 0);
  assert.ok('\uFF21' > '\u{1F600}');
  assert.ok(compareBytes('Shop-07', 'shop-08') < 0);
  assert.equal(compareBytes('餐饮', '餐饮'), 0);
});
