import { computed } from 'vue'
import { useRoute, useRouter } from 'vue-router'

/** A query value as a string ('' when absent or repeated). */
export const str = (v: unknown) => (typeof v === 'string' ? v : '')

/**
 * A page whose tab and filters live in the URL (a link can be shared):
 * the current tab (one of tabs, fallback otherwise) and go, which replaces
 * the query with the non-empty values given.
 */
export function useUrlTabs(tabs: readonly string[], fallback: string) {
  const route = useRoute()
  const router = useRouter()
  const tab = computed(() => (tabs.includes(str(route.query.tab)) ? str(route.query.tab) : fallback))
  function go(q: Record<string, string>) {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(q)) if (v) out[k] = v
    router.push({ query: out })
  }
  return { route, tab, go }
}
