// Builds the web client's tests for ctest: type-checks them (tsc), then bundles each
// *.test.ts (with the client modules it imports) into OUT/<dir>/<name>.mjs for `node`
// (and browser/screenshots.ts, which makes the screenshots of docs/web-client.md).
// playwright-core stays outside the bundle; OUT lies inside TOOLS, so Node finds it in
// TOOLS/node_modules.
//
//   node tests/web/build-tests.mjs --tools DIR --out DIR
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, all) => (i % 2 ? acc : [...acc, [v.replace(/^--/, ''), all[i + 1]]]), []));
if (!argv.tools || !argv.out) {
  console.error('usage: node tests/web/build-tests.mjs --tools DIR --out DIR');
  process.exit(2);
}
const tools = path.resolve(argv.tools);
const out = path.resolve(argv.out);
const require = createRequire(path.join(tools, 'package.json'));
const esbuild = require('esbuild');

// tsc resolves @types and playwright-core from the build tree, not the source tree.
const tsconfig = path.join(tools, 'tsconfig.tests.json');
writeFileSync(tsconfig, JSON.stringify({
  extends: path.join(here, 'tsconfig.json'),
  compilerOptions: {
    typeRoots: [path.join(tools, 'node_modules', '@types')],
    baseUrl: tools,
    paths: { 'playwright-core': [path.join(tools, 'node_modules', 'playwright-core')] },
  },
  include: [path.join(here, 'unit'), path.join(here, 'browser')],
}, null, 2));
const tsc = spawnSync(process.execPath, [path.join(tools, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('web tests: type errors (tsc) in tests/web');
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
for (const dir of ['unit', 'browser']) {
  // Every test, and the screenshot maker of docs/web-client.md.
  const tests = readdirSync(path.join(here, dir)).filter((f) => f.endsWith('.test.ts') || f === 'screenshots.ts');
  mkdirSync(path.join(out, dir), { recursive: true });
  await esbuild.build({
    entryPoints: tests.map((f) => path.join(here, dir, f)),
    outdir: path.join(out, dir),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    external: ['playwright-core'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}
