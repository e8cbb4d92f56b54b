// The USCC check of a code typed in by hand, on the cases the server's
// check runs too (testdata/uscc/vectors.json, backend/uscc_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validUSCC, normalizeUSCC } from './codes.js';

const { cases } = JSON.parse(readFileSync(new URL('../../../../testdata/uscc/vectors.json', import.meta.url), 'utf8'));

test('the shared vectors are there', () => assert.ok(cases.length >= 10));
for (const c of cases) {
  test(c.name, () => assert.equal(validUSCC(c.code), c.ok, c.code));
}

test('typing is forgiving of case and spaces, never of characters', () => {
  assert.equal(normalizeUSCC(' 9144 0300 7084 6113 6t '), '91440300708461136T');
  assert.equal(normalizeUSCC('91440300-708461136T'), '91440300-708461136T');
  assert.equal(validUSCC(normalizeUSCC('9144030070846113 6t')), true);
});
