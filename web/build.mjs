// Builds the web client into OUT: type-checks src/ with tsc, bundles and minifies it with
// esbuild into fingerprinted assets (assets/app-HASH.js, assets/app-HASH.css), writes
// index.html pointing at them, copies public/, adds .gz variants the node serves to
// browsers that accept gzip, and fails when the first load (JS + CSS, gzipped) is over
// the budget. Tools come from TOOLS/node_modules (the npm ci of web/package-lock.json).
//
//   node web/build.mjs --tools DIR --out DIR
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** docs/web-client.md: the first load's JS + CSS, gzip-compressed, stays under this. */
export const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;

const here = path.dirname(fileURLToPath(import.meta.url));

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!out.tools || !out.out) {
    console.error('usage: node web/build.mjs --tools DIR --out DIR');
    process.exit(2);
  }
  return { tools: path.resolve(out.tools), out: path.resolve(out.out) };
}

function typecheck(tools) {
  const tsc = path.join(tools, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('web: type errors (tsc) in web/src');
    process.exit(1);
  }
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

async function main() {
  const { tools, out } = args();
  const require = createRequire(path.join(tools, 'package.json'));
  const esbuild = require('esbuild');
  typecheck(tools);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [
      { in: path.join(here, 'src', 'main.ts'), out: 'app' },
      { in: path.join(here, 'src', 'styles.css'), out: 'app' },
    ],
    outdir: path.join(out, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => path.resolve(p));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  const url = (p) => '/' + path.relative(out, p).split(path.sep).join('/');
  const html = readFileSync(path.join(here, 'index.html'), 'utf8').replace('%CSS%', url(css)).replace('%JS%', url(js));
  writeFileSync(path.join(out, 'index.html'), html);
  for (const f of walk(path.join(here, 'public'))) {
    const dest = path.join(out, path.relative(path.join(here, 'public'), f));
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(f, dest);
  }

  const gzipped = new Map();
  for (const f of walk(out)) {
    if (!/\.(js|css|html|svg|json|txt)$/.test(f)) continue;
    const raw = readFileSync(f);
    const packed = gzipSync(raw, { level: 9 });
    gzipped.set(f, packed.length);
    if (packed.length < raw.length) writeFileSync(f + '.gz', packed);
  }
  const firstLoad = gzipped.get(js) + gzipped.get(css);
  const kib = (n) => (n / 1024).toFixed(1) + ' KiB';
  console.log(`web: ${url(js)} ${kib(statSync(js).size)} (${kib(gzipped.get(js))} gzip), ${url(css)} ${kib(statSync(css).size)} (${kib(gzipped.get(css))} gzip)`);
  console.log(`web: first load (JS + CSS, gzip) ${kib(firstLoad)} of a ${kib(FIRST_LOAD_BUDGET_BYTES)} budget`);
  if (firstLoad > FIRST_LOAD_BUDGET_BYTES) {
    console.error(`web: the first load is over its budget of ${kib(FIRST_LOAD_BUDGET_BYTES)}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
