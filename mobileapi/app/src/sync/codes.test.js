// The enterprise code's offline check against the vectors of qr/doc.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyEnterpriseCode, parseEnterpriseCode, validUSCC, CodeError } from './codes.js';

const keySet = { keys: [{ kid: 'rGhN4ntF', alg: 'Ed25519', key: 'szONrvioOUcGEIxTescb0evKJKyFcmtXixmzDDinFRA', status: 'current', activatedAt: '2026-03-02T09:30:00Z' }] };
const code = 'https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA';

test('OK: the documented code verifies offline', async () => {
  const c = await verifyEnterpriseCode(keySet, code, { wantUSCC: '91350100M000100Y43' });
  assert.equal(c.uscc, '91350100M000100Y43');
  assert.equal(c.kid, 'rGhN4ntF');
  assert.equal(c.base, 'https://fc.example.gov.cn');
});

const refusals = [
  ['ErrForged: another USCC under the same signature', code.replace('91350100M000100Y43', '91350404MA2YH5CA0X'), 'forged'],
  ['ErrForged: a changed signature', code.replace('s=l9C', 's=l8C'), 'forged'],
  ['ErrUnknownKey: a kid and a signature no key knows', code.replace('k=rGhN4ntF', 'k=AAAAAAAA').replace('s=l9C', 's=l8C'), 'unknown_key'],
  ['ErrAltered: a genuine signature under an unknown kid', code.replace('k=rGhN4ntF', 'k=AAAAAAAA'), 'altered'],
  ['ErrUnsigned', 'https://fc.example.gov.cn/e/91350100M000100Y43', 'unsigned'],
  ['ErrUnsupportedVersion', code + '&v=2', 'unsupported_version'],
  ['ErrMalformed: not a code', 'https://example.com/', 'malformed'],
  ['ErrMalformed: a bad check character', code.replace('M000100Y43', 'M000100Y44'), 'malformed'],
  ['ErrMalformed: parameters swapped', code.replace(/k=(\w+)&s=([\w-]+)/, 's=$2&k=$1'), 'malformed'],
  ['ErrOversized', code + 'x'.repeat(600), 'oversized'],
];
for (const [name, text, reason] of refusals) {
  test(name, async () => {
    await assert.rejects(verifyEnterpriseCode(keySet, text), (e) => e instanceof CodeError && e.reason === reason);
  });
}

test('ErrWrongEnterprise: a genuine code of another enterprise', async () => {
  await assert.rejects(verifyEnterpriseCode(keySet, code, { wantUSCC: '91350404MA2YH5CA0X' }), (e) => e.reason === 'wrong_enterprise');
});

test('ErrAltered: a genuine code re-labelled with another known kid', async () => {
  const two = { keys: [...keySet.keys, { kid: 'BBBBBBBB', alg: 'Ed25519', key: 'szONrvioOUcGEIxTescb0evKJKyFcmtXixmzDDinFRA', status: 'valid' }] };
  const relabelled = code.replace('k=rGhN4ntF', 'k=BBBBBBBB');
  await assert.rejects(verifyEnterpriseCode(two, relabelled), (e) => e.reason === 'altered');
});

test('ErrRetiredKey', async () => {
  const retired = { keys: [{ ...keySet.keys[0], status: 'retired' }] };
  await assert.rejects(verifyEnterpriseCode(retired, code), (e) => e.reason === 'retired_key');
  const past = { keys: [{ ...keySet.keys[0], notAfter: '2026-01-01T00:00:00Z' }] };
  await assert.rejects(verifyEnterpriseCode(past, code, { now: new Date('2026-06-01T00:00:00Z') }), (e) => e.reason === 'retired_key');
});

test('USCC check characters', () => {
  assert.ok(validUSCC('91350100M000100Y43'));
  assert.ok(!validUSCC('91350100M000100Y4'));
  assert.ok(!validUSCC('9135A100M000100Y43'));
  assert.equal(parseEnterpriseCode('/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA').base, '');
});
