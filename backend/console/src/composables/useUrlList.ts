// useUrlList is the state of a list page whose filters live in the URL (a
// link to a search can be shared): the form the filter controls edit, the
// page read from the server for what the URL says (keyset paging by the
// cursor in `after`), and the moves between searches and pages. Every
// filter is applied by the server; nothing is filtered in the browser.
// A list the server sorts has its sort key in `sort` too (the columns
// with sortable="custom" and a prop naming the key: onSort puts the key
// in the URL; the server takes its own allow-list, ascending, ties by id).
import { computed, reactive, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useLoad } from './useLoad'
import { str } from './urlQuery'

export type ListPage<T> = { items: T[]; nextCursor?: string }

export function useUrlList<T, K extends string>(
  keys: readonly K[],
  fetch: (filters: Record<K, string>, after: string, sort: string) => Promise<ListPage<T>>,
) {
  const route = useRoute()
  const router = useRouter()
  const fromUrl = () => Object.fromEntries(keys.map((k) => [k, str(route.query[k]).trim()])) as Record<K, string>
  const form = reactive(fromUrl()) as Record<K, string>
  const after = computed(() => str(route.query.after))
  const sort = computed(() => str(route.query.sort))
  // The column the table shows sorted, as Element Plus takes it.
  const defaultSort = computed(() => (sort.value ? { prop: sort.value, order: 'ascending' as const } : undefined))
  // filtered says the URL narrows the list (for the empty text).
  const filtered = computed(() => keys.some((k) => str(route.query[k]) !== ''))
  const list = useLoad<ListPage<T>>(() => fetch(fromUrl(), after.value, sort.value))
  watch(() => route.query, list.run, { immediate: true })

  // search shows the first page of what the form says.
  function search() {
    const q: Record<string, string> = {}
    for (const k of keys) if (form[k].trim()) q[k] = form[k].trim()
    if (sort.value) q.sort = sort.value
    router.push({ query: q })
  }
  // onSort shows the first page in the order of the column clicked (or
  // the server's id order when the sort is taken off).
  function onSort({ prop, order }: { prop: string; order: string | null }) {
    const { after: _a, sort: _s, ...rest } = route.query
    router.push({ query: order && prop ? { ...rest, sort: prop } : rest })
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
  return { route, router, form, after, sort, defaultSort, filtered, list, search, reset, nextPage, firstPage, onSort }
}

export type UrlList<T> = Pick<
  ReturnType<typeof useUrlList<T, string>>,
  'list' | 'after' | 'defaultSort' | 'search' | 'reset' | 'nextPage' | 'firstPage' | 'onSort'
>
