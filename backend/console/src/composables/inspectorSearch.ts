// useInspectorSearch backs a remote el-select of inspectors: each search
// asks the server for the first 20 whose name contains the text or whose
// id starts with it (GET /api/v1/inspectors?q=), so that a picker never
// reads the whole directory. ensure() adds an inspector chosen already
// (from the URL) so that the select shows its name.
import { ref } from 'vue'
import { get, query, type Schemas } from '../api/client'

type Inspector = Schemas['Inspector']

export const inspectorSearchLimit = 20

export function useInspectorSearch() {
  const options = ref<Inspector[]>([])
  const loading = ref(false)
  let latest = 0
  async function search(text: string) {
    const n = ++latest
    loading.value = true
    try {
      const page = await get<Schemas['PageInspector']>('/api/v1/inspectors' + query({ q: text.trim().slice(0, 50), limit: inspectorSearchLimit }))
      if (n === latest) options.value = page.items
    } catch {
      if (n === latest) options.value = []
    } finally {
      if (n === latest) loading.value = false
    }
  }
  async function ensure(id: string) {
    if (!id || options.value.some((i) => i.id === id)) return
    try {
      const i = await get<Inspector>(`/api/v1/inspectors/${encodeURIComponent(id)}`)
      options.value = [i, ...options.value.filter((o) => o.id !== i.id)]
    } catch {
      // an unknown id stays shown as it is
    }
  }
  return { options, loading, search, ensure }
}
