import { createRouter, createWebHistory } from 'vue-router'
import { loadSession, session } from './stores/session'

// One page component per route; each is its own chunk, so the login page
// does not load the tables and charts.
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
    {
      path: '/',
      component: () => import('./components/AppLayout.vue'),
      children: [
        { path: '', name: 'dashboard', component: () => import('./pages/DashboardPage.vue'), meta: { title: '工作台' } },
        { path: 'targets', name: 'targets', component: () => import('./pages/TargetsPage.vue'), meta: { title: '名录库' } },
        { path: 'targets/import', name: 'import-targets', component: () => import('./pages/ImportPage.vue'), meta: { title: '名录导入' } },
        { path: 'targets/:id', name: 'target', component: () => import('./pages/TargetPage.vue'), meta: { title: '检查对象' } },
        { path: 'inspectors', name: 'inspectors', component: () => import('./pages/InspectorsPage.vue'), meta: { title: '检查人员' } },
        { path: 'inspectors/new', name: 'inspector-new', component: () => import('./pages/InspectorPage.vue'), meta: { title: '新增检查人员' } },
        { path: 'inspectors/:id', name: 'inspector', component: () => import('./pages/InspectorPage.vue'), meta: { title: '检查人员' } },
        { path: 'experts', name: 'experts', component: () => import('./pages/ExpertsPage.vue'), meta: { title: '专家' } },
        { path: 'items', name: 'items', component: () => import('./pages/ItemsPage.vue'), meta: { title: '检查事项' } },
        { path: 'items/:code', name: 'item', component: () => import('./pages/ItemPage.vue'), meta: { title: '检查事项' } },
        { path: 'items/:code/templates/new', name: 'template-new', component: () => import('./pages/TemplateFormPage.vue'), meta: { title: '制定检查表新版本' } },
        { path: 'plans', name: 'plans', component: () => import('./pages/PlansPage.vue'), meta: { title: '抽查计划' } },
        { path: 'plans/new', name: 'plan-new', component: () => import('./pages/PlanFormPage.vue'), meta: { title: '新建抽查计划' } },
        { path: 'plans/:id/edit', name: 'plan-edit', component: () => import('./pages/PlanFormPage.vue'), meta: { title: '修改抽查计划' } },
        { path: 'plans/:id', name: 'plan', component: () => import('./pages/PlanPage.vue'), meta: { title: '抽查计划' } },
        { path: 'tasks', name: 'tasks', component: () => import('./pages/TasksPage.vue'), meta: { title: '任务' } },
        { path: 'tasks/:id', name: 'task', component: () => import('./pages/TaskPage.vue'), meta: { title: '任务' } },
        { path: 'reviews', name: 'reviews', component: () => import('./pages/ReviewsPage.vue'), meta: { title: '审核' } },
        { path: 'reviews/:taskId', name: 'review', component: () => import('./pages/ReviewPage.vue'), meta: { title: '审核' } },
        { path: 'credit', name: 'credit', component: () => import('./pages/CreditPage.vue'), meta: { title: '信用管理' } },
        { path: 'results', name: 'results', component: () => import('./pages/ResultsPage.vue'), meta: { title: '结果公示' } },
        { path: 'results/:id', name: 'result', component: () => import('./pages/ResultPage.vue'), meta: { title: '结果公示' } },
        { path: 'rounds', name: 'rounds', component: () => import('./pages/RoundsPage.vue'), meta: { title: '综合查一次' } },
        { path: 'oversight', name: 'oversight', component: () => import('./pages/OversightPage.vue'), meta: { title: '监督' } },
        { path: 'system', name: 'system', component: () => import('./pages/SystemPage.vue'), meta: { title: '系统管理' } },
        { path: ':rest(.*)*', name: 'notfound', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (!session.checked) {
    try {
      await loadSession()
    } catch {
      // The server did not answer: the page shows its own error.
    }
  }
  if (!to.meta.public && !session.info) {
    return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  }
  if (to.name === 'login' && session.info) return { name: 'dashboard' }
})

router.afterEach((to) => {
  const title = (to.meta.title as string | undefined) ?? '登录'
  document.title = `${title} · 双随机监管后台`
})
