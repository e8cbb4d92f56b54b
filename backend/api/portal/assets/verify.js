// The draw page's one script: 「在我的浏览器中验证」 fetches the draw record
// as JSON from the page's own URL and runs the independent fc-draw-1
// verifier (fcdraw1.js, WebCrypto only) on it, showing each step as it
// completes. It says 验证通过 only when every step came out the same;
// otherwise it names the first step that did not, and stops there.
import { verify } from './fcdraw1.js';

const button = document.getElementById('verify-button');
const status = document.getElementById('verify-status');
const list = document.getElementById('verify-steps');

function say(text, cls) {
  status.textContent = text;
  status.className = cls || '';
}

function show(step) {
  const li = document.createElement('li');
  li.className = step.ok ? 'ok' : 'fail';
  li.dataset.step = step.id;
  const title = document.createElement('b');
  title.textContent = (step.ok ? '✔ ' : '✘ ') + step.title + '：';
  li.append(title, document.createTextNode(step.detail));
  list.append(li);
}

async function run() {
  button.disabled = true;
  delete status.dataset.done;
  list.replaceChildren();
  say('正在下载抽取记录……');
  let record;
  try {
    const res = await fetch(location.pathname, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) throw new Error('服务器答复 ' + res.status);
    record = await res.json();
  } catch (e) {
    say('无法下载抽取记录，未能验证：' + e.message, 'fail');
    button.disabled = false;
    return;
  }
  say('正在本机计算……');
  const started = performance.now();
  const result = await verify(record, { onStep: show });
  const ms = Math.round(performance.now() - started);
  if (result.ok) {
    say('验证通过：每一步都与抽取记录一致（本机用时 ' + ms + ' 毫秒）。', 'ok');
  } else {
    const bad = result.steps.find((s) => !s.ok);
    say('验证未通过：“' + (bad ? bad.title : '抽取记录') + '”一步与记录不一致，后续步骤不再计算。', 'fail');
  }
  status.dataset.done = result.ok ? 'ok' : 'fail';
  status.dataset.ms = String(ms);
  button.disabled = false;
}

// The button is disabled in the page until this script has loaded: a click
// before that would do nothing.
if (button) {
  button.addEventListener('click', run);
  button.disabled = false;
}
