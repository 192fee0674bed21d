// Bundles the dashboard: `node build.mjs --outdir DIR [--watch]` writes DIR/index.html, app.js,
// app.css and their source maps (minified). The engine serves DIR at `/`.

import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: { outdir: { type: 'string' }, watch: { type: 'boolean', default: false } },
});
if (!options.outdir) {
  console.error('usage: node build.mjs --outdir DIR [--watch]');
  process.exit(2);
}
const outdir = path.resolve(options.outdir);

const copy_html = {
  name: 'copy-index-html',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      await copyFile(path.join(here, 'src/index.html'), path.join(outdir, 'index.html'));
      const files = Object.keys(result.metafile.outputs).map((f) => path.basename(f)).sort();
      console.log(`web: built ${['index.html', ...files].join(', ')} into ${outdir}`);
    });
  },
};

const config = {
  entryPoints: { app: path.join(here, 'src/main.js') },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  plugins: [copy_html],
};

await mkdir(outdir, { recursive: true });
if (options.watch) {
  const context = await esbuild.context(config);
  await context.watch();
  console.log('web: watching src/ for changes');
} else {
  await esbuild.build(config);
}
