// Builds the console into RAPPORT_CONSOLE_OUT (the CMake build sets it to
// <build>/console), with relative asset URLs so rapportd can serve it under
// /console/. Everything, Chart.js included, is bundled: the page fetches
// nothing from the internet at run time.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: process.env.RAPPORT_CONSOLE_OUT ?? "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
