import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// One entry per Django page. The Django tag `{% vite_entry "<name>" %}` looks
// the entry up in the manifest under `src/pages/<name>/main.tsx`.
const pages = ['simulator', 'builder', 'editor', 'inbox'];

function entryPath(page: string): string {
  return fileURLToPath(new URL(`./src/pages/${page}/main.tsx`, import.meta.url));
}

export default defineConfig({
  plugins: [react()],
  // Django serves dist/ as static files under the `frontend/` prefix.
  base: '/static/frontend/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    rolldownOptions: {
      input: Object.fromEntries(pages.map((page) => [page, entryPath(page)])),
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
    // The editor's tests type into a full page with a canvas, keystroke by
    // keystroke; on a busy machine that outlasts the 5 s default.
    testTimeout: 15_000,
  },
});
