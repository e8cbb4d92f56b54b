import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The console is served by the Go binary at /console/ (backend/console/console.go
// embeds dist/). `npm run dev` serves it from Vite with the API proxied to a
// running `fieldcheck serve` or `demo` on 127.0.0.1:8080.
export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus components and their CSS are imported where templates use
    // them, not the whole library.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts or styles: the console's CSP allows only files of
    // its own origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // The dashboard's chunk is ECharts (core, bar chart, canvas): loaded only
    // by that page.
    chunkSizeWarningLimit: 600,
  },
  server: {
    // The plan page bundles the portal's draw verifier from outside this
    // project (backend/portal/verify/fcdraw1.js).
    fs: { allow: ['.', '../portal/verify'] },
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/public': 'http://127.0.0.1:8080',
    },
  },
})
