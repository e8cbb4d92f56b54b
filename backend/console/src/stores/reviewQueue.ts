// The review queue as the reviewer walks it: the entries loaded so far (in
// the server's order, oldest submission first), the filter they were
// loaded with, and the reviews fetched ahead of time, so that moving to the
// next task shows it at once instead of waiting on the server.
import { reactive } from 'vue'
import { get, query, type Schemas } from '../api/client'

type Entry = Schemas['ReviewQueueEntry']
type Page = Schemas['PageReviewQueueEntry']
export type Review = Schemas['ReviewView']

// queuePageSize is how many entries one read of the queue brings.
export const queuePageSize = 50

// prefetchThumbnails is how many thumbnails of the next task are loaded
// ahead: those the first screen shows.
const prefetchThumbnails = 8

export interface QueueFilter {
  state: string
  planId: string
}

export const queue = reactive<{
  filter: QueueFilter
  entries: Entry[]
  nextCursor: string
  loaded: boolean
}>({ filter: { state: '', planId: '' }, entries: [], nextCursor: '', loaded: false })

const reviews = new Map<string, Promise<Review>>()
const warmed: HTMLImageElement[] = []

function sameFilter(f: QueueFilter) {
  return queue.loaded && queue.filter.state === f.state && queue.filter.planId === f.planId
}

function read(f: QueueFilter, after: string) {
  return get<Page>('/api/v1/reviews' + query({ state: f.state, planId: f.planId, after, limit: queuePageSize }))
}

// loadQueue reads the first page of the queue for f, unless it is loaded.
export async function loadQueue(f: QueueFilter, force = false) {
  if (sameFilter(f) && !force) return
  const page = await read(f, '')
  queue.filter = { ...f }
  queue.entries = page.items ?? []
  queue.nextCursor = page.nextCursor ?? ''
  queue.loaded = true
}

// loadMore appends the next page of the queue.
export async function loadMore() {
  if (!queue.nextCursor) return
  const page = await read(queue.filter, queue.nextCursor)
  const seen = new Set(queue.entries.map((e) => e.taskId))
  queue.entries.push(...(page.items ?? []).filter((e) => !seen.has(e.taskId)))
  queue.nextCursor = page.nextCursor ?? ''
}

export function indexOf(taskId: string) {
  return queue.entries.findIndex((e) => e.taskId === taskId)
}

// neighbour returns the task after (step 1) or before (step −1) taskId in
// the queue, reading the next page when the end of those loaded is reached.
export async function neighbour(taskId: string, step: 1 | -1): Promise<string> {
  let i = indexOf(taskId)
  if (step === 1 && i >= queue.entries.length - 2 && queue.nextCursor) await loadMore()
  i = indexOf(taskId)
  if (i < 0) return step === 1 ? (queue.entries[0]?.taskId ?? '') : ''
  return queue.entries[i + step]?.taskId ?? ''
}

// review returns a task's review, from what was fetched ahead when it was.
export function review(taskId: string, fresh = false): Promise<Review> {
  let r = fresh ? undefined : reviews.get(taskId)
  if (!r) {
    r = get<Review>('/api/v1/reviews/' + encodeURIComponent(taskId))
    reviews.set(taskId, r)
    r.catch(() => reviews.delete(taskId))
  }
  return r
}

// keep records a review as an action answered it.
export function keep(r: Review) {
  reviews.set(r.taskId, Promise.resolve(r))
  const e = queue.entries.find((x) => x.taskId === r.taskId)
  if (!e) return
  if (r.state === 'received' || r.state === 'has_issues') {
    e.state = r.state
    e.version = r.version
  } else {
    // Approved or returned: it has left the queue.
    queue.entries.splice(queue.entries.indexOf(e), 1)
  }
}

// prefetch fetches a task's review and its first thumbnails ahead, so that
// they come from the browser's memory when the reviewer moves on.
export async function prefetch(taskId: string) {
  if (!taskId) return
  try {
    const r = await review(taskId)
    warmed.length = 0
    for (const e of r.evidence.filter((x) => x.thumbnailUrl).slice(0, prefetchThumbnails)) {
      const img = new Image()
      img.src = e.thumbnailUrl!
      warmed.push(img)
    }
  } catch {
    // The page reads it again when it is opened, and shows the error then.
  }
}

// forget drops the reviews fetched ahead (a new filter, or a reload).
export function forget() {
  reviews.clear()
}
