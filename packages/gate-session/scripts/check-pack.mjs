#!/usr/bin/env node
// npm run check:types: pack gate-session as `npm pack` would for a person, install the tarball
// into a throwaway consumer (test/consumer: a tiny TypeScript + React app), and type-check that
// app against the declarations IN THE TARBALL. Fails when a declared file is not packed, when
// the tarball ships tests, or when the declarations do not fit the way the module is used.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'gate-session-pack-'));
// The consumer lives inside the package so that react and @types/react resolve from the
// workspace's node_modules, while its own node_modules/gate-session (the tarball) comes first.
const consumer = join(pkgDir, '.pack-check');
try {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkgDir, encoding: 'utf8' }),
  );
  const files = packed.files.map((f) => f.path).sort();
  const problems = [];
  for (const needed of ['package.json', 'README.md', 'src/index.js', 'src/core.js', 'src/react.js', 'types/index.d.ts', 'types/react.d.ts']) {
    if (!files.includes(needed)) problems.push(`the tarball lacks ${needed}`);
  }
  for (const f of files) if (/test|\.pack-check|scripts\//.test(f)) problems.push(`the tarball ships ${f}`);
  if (problems.length) throw new Error(problems.join('\n'));

  rmSync(consumer, { recursive: true, force: true });
  const installed = join(consumer, 'node_modules', 'gate-session');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  cpSync(join(pkgDir, 'test', 'consumer'), consumer, { recursive: true });
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.json')], { stdio: 'inherit' });
  console.log(`check-pack: ${packed.filename} (${files.length} files, ${packed.size} bytes) type-checks a TypeScript consumer`);
} catch (error) {
  console.error(`check-pack: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(consumer, { recursive: true, force: true });
}
