// The notary is served by weft-baas at /notary/, beside the console: it is
// built into the console's output directory, by the console's own build
// script after its Vite build (which empties that directory).
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "/notary/",
  esbuild: { jsx: "automatic", jsxImportSource: "react" },
  build: { outDir: "../../console/dist/notary", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:7080" } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
