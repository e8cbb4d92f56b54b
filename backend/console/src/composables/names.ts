// Names for the codes the API returns: departments and items are shown by
// name on every page. The lists are small and read once per page load.
import { reactive } from 'vue'
import { get, type Schemas } from '../api/client'

type Department = Schemas['Department']
type Item = Schemas['Item']

export const names = reactive<{ departments: Department[]; items: Item[]; loaded: boolean }>({
  departments: [],
  items: [],
  loaded: false,
})

let loading: Promise<void> | null = null

// loadNames reads the departments and every item (following the cursor);
// a failure leaves the codes shown as they are.
export function loadNames(): Promise<void> {
  loading ??= (async () => {
    try {
      const [deps, items] = await Promise.all([get<Department[]>('/api/v1/departments'), allItems()])
      names.departments = deps ?? []
      names.items = items
      names.loaded = true
    } catch {
      loading = null
    }
  })()
  return loading
}

// allPages reads a list by its cursor, up to pages pages of 200.
async function allPages<T>(path: string, pages: number): Promise<T[]> {
  const out: T[] = []
  let after = ''
  for (let i = 0; i < pages; i++) {
    const page = await get<{ items: T[]; nextCursor?: string }>(path + '?limit=200' + (after ? '&after=' + encodeURIComponent(after) : ''))
    out.push(...(page.items ?? []))
    if (!page.nextCursor) break
    after = page.nextCursor
  }
  return out
}

const allItems = () => allPages<Item>('/api/v1/items', 50)

export function departmentName(id?: string | null): string {
  if (!id) return '—'
  return names.departments.find((d) => d.id === id)?.name ?? id
}

export function departmentNames(ids?: string[] | null): string {
  return (ids ?? []).map(departmentName).join('、') || '—'
}

export function itemName(code?: string | null): string {
  if (!code) return '—'
  return names.items.find((i) => i.code === code)?.name ?? code
}

export function itemNames(codes?: string[] | null): string {
  return (codes ?? []).map(itemName).join('、') || '—'
}

type Inspector = Schemas['Inspector']

export const inspectors = reactive<{ list: Inspector[]; loaded: boolean }>({ list: [], loaded: false })
let loadingInspectors: Promise<void> | null = null

// loadInspectors reads the inspector directory (its first thousand, by
// page), for team names and the team-member filter.
export function loadInspectors(): Promise<void> {
  loadingInspectors ??= (async () => {
    try {
      inspectors.list = await allPages<Inspector>('/api/v1/inspectors', 5)
      inspectors.loaded = true
    } catch {
      loadingInspectors = null
    }
  })()
  return loadingInspectors
}

export function inspectorName(id: string): string {
  return inspectors.list.find((i) => i.id === id)?.name ?? id
}

export function teamNames(ids?: string[] | null): string {
  return (ids ?? []).map(inspectorName).join('、') || '—'
}
