// The console's bundle: src/console/ (Preact + TSX) compiled and minified by
// esbuild into dist/console/ (or `outDir`), with content-hashed file names
// (served with a long cache), an index.html naming them, and gzip and brotli
// copies that the server sends to clients that accept them. Nothing is fetched
// from the network: every byte comes from node_modules and src/console/.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the console into `outDir`; answers the asset files and their sizes. */
export async function buildConsole(outDir = join(ROOT, 'dist', 'console')) {
  const esbuild = await import('esbuild');
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'src/console/main.tsx' },
    tsconfig: 'src/console/tsconfig.json',
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: assets,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    // Licence comments of bundled packages go into a file beside the bundle.
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => join(ROOT, p));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (js === undefined || css === undefined) throw new Error('the console build made no .js or no .css');
  const html = readFileSync(join(ROOT, 'src', 'console', 'index.html'), 'utf8')
    .replace('%APP_JS%', `/console/assets/${basename(js)}`)
    .replace('%APP_CSS%', `/console/assets/${basename(css)}`);
  writeFileSync(join(outDir, 'index.html'), html);
  // The bundle carries Preact's code: its licence travels with it.
  copyFileSync(join(ROOT, 'node_modules', 'preact', 'LICENSE'), join(outDir, 'LICENSE-preact.txt'));
  const files = [];
  for (const file of [js, css]) {
    const raw = readFileSync(file);
    const gz = gzipSync(raw, { level: 9 });
    const br = brotliCompressSync(raw, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    });
    writeFileSync(`${file}.gz`, gz);
    writeFileSync(`${file}.br`, br);
    files.push({ file: basename(file), bytes: raw.length, gzip: gz.length, brotli: br.length });
  }
  return files;
}

// Run directly (`node scripts/build-console.js [outDir]`): build and print the sizes.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildConsole(process.argv[2]);
  for (const f of files) {
    process.stdout.write(`${f.file}: ${f.bytes} bytes, gzip ${f.gzip}, brotli ${f.brotli}\n`);
  }
}
