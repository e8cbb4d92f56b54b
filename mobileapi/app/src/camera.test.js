// Which camera controls a page shows, from what the browser says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlsOf, nextCamera, constraintsOf } from './camera.js';

const cam = (id) => ({ kind: 'videoinput', deviceId: id, label: id });
const mic = { kind: 'audioinput', deviceId: 'm', label: 'mic' };
const track = (caps) => ({ getCapabilities: () => caps });

test('controls: the torch where the track has one, the switch from two cameras', () => {
  const cases = [
    { name: 'one camera, no torch', track: track({}), devices: [cam('a'), mic], want: { torch: false, switchable: false } },
    { name: 'torch false', track: track({ torch: false }), devices: [cam('a')], want: { torch: false, switchable: false } },
    { name: 'torch true', track: track({ torch: true }), devices: [cam('a')], want: { torch: true, switchable: false } },
    { name: 'torch as a list of values', track: track({ torch: [false, true] }), devices: [cam('a')], want: { torch: true, switchable: false } },
    { name: 'torch as a list without true', track: track({ torch: [false] }), devices: [cam('a')], want: { torch: false, switchable: false } },
    { name: 'two cameras', track: track({}), devices: [cam('a'), mic, cam('b')], want: { torch: false, switchable: true } },
    { name: 'a browser without getCapabilities', track: {}, devices: [cam('a'), cam('b')], want: { torch: false, switchable: true } },
    { name: 'getCapabilities throws', track: { getCapabilities: () => { throw new Error('x'); } }, devices: [], want: { torch: false, switchable: false } },
    { name: 'no track', track: null, devices: [mic], want: { torch: false, switchable: false } },
  ];
  for (const c of cases) assert.deepEqual(controlsOf(c.track, c.devices), c.want, c.name);
});

test('nextCamera: the one after the current, round; none with one camera', () => {
  const ds = [cam('a'), mic, cam('b'), cam('c')];
  assert.equal(nextCamera(ds, 'a'), 'b');
  assert.equal(nextCamera(ds, 'c'), 'a');
  assert.equal(nextCamera(ds, ''), 'a', 'an unknown current: the first');
  assert.equal(nextCamera([cam('a'), mic], 'a'), '');
  assert.equal(nextCamera([cam(''), cam('')], ''), '', 'ids hidden before permission: nothing to switch to');
});

test('constraintsOf: the chosen camera exactly, else the rear one', () => {
  assert.deepEqual(constraintsOf(''), { video: { facingMode: 'environment' }, audio: false });
  assert.deepEqual(constraintsOf('b', { width: 1920 }), { video: { deviceId: { exact: 'b' }, width: { ideal: 1920 } }, audio: false });
});
