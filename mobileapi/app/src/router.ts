import { createRouter, createWebHistory } from 'vue-router';
import { session } from './session';
import Login from './pages/Login.vue';
import Tasks from './pages/Tasks.vue';
import TaskPage from './pages/Task.vue';
import Checklist from './pages/Checklist.vue';

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/', redirect: '/tasks' },
    { path: '/login', component: Login, meta: { public: true } },
    { path: '/tasks', component: Tasks },
    { path: '/tasks/:id', component: TaskPage, props: true },
    { path: '/tasks/:id/checklist', component: Checklist, props: true },
    // The scanner and its decoder load only when a check-in needs them.
    { path: '/checkin', component: () => import('./pages/CheckIn.vue') },
    { path: '/tasks/:id/checkin', component: () => import('./pages/CheckIn.vue'), props: true },
    { path: '/tasks/:id/code', component: () => import('./pages/Code.vue'), props: true },
    { path: '/tasks/:id/signature', component: () => import('./pages/Signature.vue'), props: true },
    { path: '/:rest(.*)*', redirect: '/tasks' },
  ],
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach((to) => {
  if (!to.meta.public && !session.loggedIn) return '/login';
  if (to.path === '/login' && session.loggedIn) return '/tasks';
  return true;
});
