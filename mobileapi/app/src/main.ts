// The app's entry: a page that says what is wrong when the browser gives
// no secure context (plain HTTP from another host: no service worker, no
// camera, no crypto.subtle), else the app with its service worker.
import { createApp } from 'vue';
import {
  Button, Cell, CellGroup, Field, Form, NavBar, Tag, Search, Empty, Loading, Icon, NoticeBar,
  Radio, RadioGroup, Checkbox, CheckboxGroup, Stepper, Dialog, Toast, Uploader, Divider, Popup, Sticky, Progress,
} from 'vant';
import 'vant/lib/index.css';
import './theme.css';
import App from './App.vue';
import Insecure from './pages/Insecure.vue';
import { router } from './router';
import { restore } from './session';
import { startSync } from './stores/sync';

function secure(): boolean {
  return window.isSecureContext && 'serviceWorker' in navigator && !!globalThis.crypto?.subtle && 'indexedDB' in window;
}

async function start() {
  if (!secure()) {
    createApp(Insecure).mount('#app');
    return;
  }
  void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {
    // the app still works online; the sync bar says nothing of it
  });
  await restore();
  const app = createApp(App);
  for (const c of [Button, Cell, CellGroup, Field, Form, NavBar, Tag, Search, Empty, Loading, Icon, NoticeBar, Radio, RadioGroup,
    Checkbox, CheckboxGroup, Stepper, Dialog, Toast, Uploader, Divider, Popup, Sticky, Progress]) {
    app.use(c);
  }
  app.use(router);
  app.mount('#app');
  startSync();
}

void start();
