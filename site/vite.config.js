import { defineConfig, loadEnv } from 'vite';
import react from '@vitejs/plugin-react';
import { resolveGatePaths } from './src/gatePaths.js';

export default defineConfig(({ mode }) => {
  // Fail the build (not the page) if the gate's paths in .env*.local are not usable.
  resolveGatePaths(loadEnv(mode, process.cwd(), 'VITE_GATE_'));

  return {
    plugins: [react()],
    base: '/',
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // Every asset is its own hashed file: no data: URIs, nothing inlined into HTML.
      assetsInlineLimit: 0,
      sourcemap: false,
    },
    test: {
      environment: 'jsdom',
      setupFiles: ['./src/test/setup.js'],
      include: ['src/**/*.test.{js,jsx}', 'scripts/**/*.test.mjs'],
      restoreMocks: true,
      unstubEnvs: true,
      unstubGlobals: true,
    },
  };
});
