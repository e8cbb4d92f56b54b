// useLoad runs a read and keeps its state for the page: loading, the
// data, and the error in plain Chinese.
import { ref, type Ref } from 'vue'
import { ApiError } from '../api/client'

export function useLoad<T>(fn: () => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>
  const loading = ref(false)
  const error = ref('')
  const status = ref(0)
  async function run() {
    loading.value = true
    error.value = ''
    status.value = 0
    try {
      data.value = await fn()
    } catch (e) {
      data.value = null
      status.value = e instanceof ApiError ? e.status : 0
      error.value = e instanceof Error ? e.message : '加载失败，请重试。'
    } finally {
      loading.value = false
    }
  }
  return { data, loading, error, status, run }
}
