// The inspector app's build: Vue 3 + Vant 4, a Workbox service worker
// (injectManifest, src/sw.ts) and the web app manifest, all under /app/.
// The output is reproducible: file names carry content hashes only, and
// nothing writes a time or a random id (two builds from a clean `npm ci`
// are byte-identical; .ci/run checks it against the committed dist/).
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import { VitePWA } from 'vite-plugin-pwa';

// Vant's icon CSS names a third-party font URL after its embedded WOFF2
// (which every browser we serve reads first): drop it, so that the app
// names no origin but the server's.
function selfHostedVantIcons(): Plugin {
  const remote = /,\s*url\(["']?\/\/at\.alicdn\.com[^)]*\)\s*format\(["']?\w+["']?\)/g;
  return {
    name: 'fieldcheck-self-hosted-vant-icons',
    enforce: 'pre',
    transform(code, id) {
      if (id.includes('/vant/') && id.endsWith('.css')) return { code: code.replace(remote, ''), map: null };
      return null;
    },
  };
}

export default defineConfig({
  base: '/app/',
  plugins: [
    selfHostedVantIcons(),
    vue(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // main.ts registers it: no inline script
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/*.png'],
      manifest: {
        name: '双随机检查 · 执法人员',
        short_name: '现场检查',
        description: '“双随机、一公开”现场检查：任务、扫码入企、检查表、证据，离线可用',
        lang: 'zh-CN',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#0b3d91',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,webmanifest,wasm}'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
});
