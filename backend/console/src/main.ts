import { createApp } from 'vue'
import 'element-plus/theme-chalk/base.css'
// ElMessage is called from scripts, where the components plugin does not
// see it: its style is imported here.
import 'element-plus/es/components/message/style/css'
import './style.css'
import App from './App.vue'
import { router } from './router'

createApp(App).use(router).mount('#app')
