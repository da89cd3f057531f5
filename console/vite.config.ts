// Vite builds the console into dist/, which weft-baas serves from its own
// port (--console-dir). JSX goes through esbuild directly: @vitejs/plugin-react
// (fast refresh only) does not install beside vite@7 on these machines.
import { defineConfig } from "vitest/config";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "react" },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:7080" } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
