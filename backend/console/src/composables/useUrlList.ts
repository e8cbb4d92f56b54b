// useUrlList is the state of a list page whose filters live in the URL (a
// link to a search can be shared): the form the filter controls edit, the
// page read from the server for what the URL says (keyset paging by the
// cursor in `after`), and the moves between searches and pages. Every
// filter is applied by the server; nothing is filtered in the browser.
import { computed, reactive, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useLoad } from './useLoad'
import { str } from './urlQuery'

export type ListPage<T> = { items: T[]; nextCursor?: string }

export function useUrlList<T, K extends string>(keys: readonly K[], fetch: (filters: Record<K, string>, after: string) => Promise<ListPage<T>>) {
  const route = useRoute()
  const router = useRouter()
  const fromUrl = () => Object.fromEntries(keys.map((k) => [k, str(route.query[k]).trim()])) as Record<K, string>
  const form = reactive(fromUrl()) as Record<K, string>
  const after = computed(() => str(route.query.after))
  // filtered says the URL narrows the list (for the empty text).
  const filtered = computed(() => keys.some((k) => str(route.query[k]) !== ''))
  const list = useLoad<ListPage<T>>(() => fetch(fromUrl(), after.value))
  watch(() => route.query, list.run, { immediate: true })

  // search shows the first page of what the form says.
  function search() {
    const q: Record<string, string> = {}
    for (const k of keys) if (form[k].trim()) q[k] = form[k].trim()
    router.push({ query: q })
  }
  function reset() {
    for (const k of keys) form[k] = ''
    router.push({ query: {} })
  }
  function nextPage() {
    const next = list.data.value?.nextCursor
    if (next) router.push({ query: { ...route.query, after: next } })
  }
  function firstPage() {
    const { after: _, ...rest } = route.query
    router.push({ query: rest })
  }
  return { route, router, form, after, filtered, list, search, reset, nextPage, firstPage }
}

export type UrlList<T> = Pick<ReturnType<typeof useUrlList<T, string>>, 'list' | 'after' | 'search' | 'reset' | 'nextPage' | 'firstPage'>
