// The server's refusals of evidence files, as the inspector reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusalText } from './refusals.js';

test('refusalText: each refusal of backend/evidence in Chinese', () => {
  const cases = [
    [400, 'invalid', 'evidence "p1" is a file of unknown type; a photo must be one of: image/jpeg, image/png', '文件内容不是此类证据允许的格式'],
    [400, 'invalid', 'the file\'s SHA-256 is ab, but evidence "p1" was declared as cd: nothing was kept; upload the declared file', '文件内容与拍摄时计算的校验值不符，文件可能已损坏'],
    [413, 'payload_too_large', 'evidence "p1": a photo may have at most 25 MiB', '文件超过服务器允许的大小'],
    [0, 'payload_too_large', 'evidence "p1": a photo may have at most 25 MiB', '文件超过服务器允许的大小'],
    [400, 'invalid', 'the image is 30000×20 pixels, over the limit of 20000 on a side', '图片尺寸超出服务器允许的范围'],
    [0, 'payload_too_large', 'task t may hold at most 2 GiB of evidence', '文件超过服务器允许的大小'],
    [0, 'invalid', 'a task takes at most 200 pieces of evidence', '本任务的证据文件已达上限'],
    [400, 'invalid', 'something new', '服务器拒收（HTTP 400）'],
    [0, 'rejected', '', '服务器拒收'],
  ];
  for (const [status, code, message, want] of cases) assert.equal(refusalText(status, code, message), want, message);
});
