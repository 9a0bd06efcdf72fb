// Build the canvas into one JavaScript and one CSS file with fixed names,
// which the Django template loads with {% static %}.
import { defineConfig } from "vite";

export default defineConfig({
  // Production React, whatever NODE_ENV the shell has.
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: "../automation/static/automation/canvas",
    emptyOutDir: true,
    cssCodeSplit: false,
    sourcemap: false,
    rolldownOptions: {
      input: "src/main.jsx",
      // React Flow marks its module "use client" for server components;
      // the directive means nothing in a browser bundle.
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
      output: {
        entryFileNames: "canvas.js",
        chunkFileNames: "canvas-[name].js",
        assetFileNames: "canvas[extname]",
      },
    },
  },
});
