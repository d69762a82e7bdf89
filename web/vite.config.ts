import { defineConfig, loadEnv } from 'vite';

// control-api serves `dist/` itself: `/`, `/console` and `/i/{token}` answer with
// `index.html`, `/assets/*` with Vite's hashed files. In development, `npm run dev`
// forwards the API to a control-api on its default address (or `CONTROL_API_URL`).
const CSP =
  "default-src 'self'; connect-src 'self' ws: wss: http: https:; media-src 'self' blob:; " +
  "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:";

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', '');
  const api = env['CONTROL_API_URL'] ?? 'http://127.0.0.1:8000';
  return {
    base: '/',
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
      sourcemap: false,
      target: 'es2022',
      // livekit-client alone is about 530 kB minified (140 kB gzip); it is loaded only when the
      // candidate reaches the microphone check, so the warning's default is raised above it.
      chunkSizeWarningLimit: 600,
      rolldownOptions: {
        output: {
          // Name CodeMirror's language chunks (and the parser they share) after what they hold
          // instead of their packages' `dist` folder.
          chunkFileNames: (chunk) => {
            const lang = /@codemirror[\\/]lang-([a-z]+)/.exec(chunk.facadeModuleId ?? '');
            if (lang) return `assets/lang-${lang[1]}-[hash].js`;
            if (chunk.moduleIds.some((id) => /@lezer[\\/]lr/.test(id))) return 'assets/lezer-lr-[hash].js';
            return 'assets/[name]-[hash].js';
          },
        },
      },
    },
    server: {
      proxy: { '/api': { target: api } },
    },
    // `npm run preview` serves dist/ under control-api's Content-Security-Policy, so a check
    // against the preview sees what the service's pages would allow.
    preview: {
      headers: { 'Content-Security-Policy': CSP },
      proxy: { '/api': { target: api } },
    },
  };
});
