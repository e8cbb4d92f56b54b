/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

// The in-browser fc-draw-1 verifier of the public portal
// (backend/portal/verify/fcdraw1.js), bundled as it is.
declare module '*/fcdraw1.js' {
  export interface VerifyStep {
    id: string
    title: string
    ok: boolean
    detail: string
  }
  export function verify(record: unknown, opts?: { onStep?: (s: VerifyStep) => void }): Promise<{ ok: boolean; steps: VerifyStep[] }>
}
