// Builds the web UI (src/web) into dist/web, which `breakwater server` serves at `/`
// (src/server/web-assets.ts). src/lang, src/protocol and src/definitions are imported as
// TypeScript source with NodeNext `.js` suffixes; the resolver below maps them to the `.ts` files.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('./src/web', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/web', import.meta.url));

/** `./x.js` imported from a .ts/.tsx file resolves to `./x.ts` (or `.tsx`) when that exists. */
function tsSuffixes(): Plugin {
  return {
    name: 'breakwater:ts-suffixes',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.js') || !/\.tsx?$/.test(importer)) return null;
      for (const ext of ['.ts', '.tsx']) {
        const candidate = fileURLToPath(new URL(source.slice(0, -3) + ext, `file://${importer}`));
        if (existsSync(candidate)) return candidate;
      }
      return null;
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [tsSuffixes(), react()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
