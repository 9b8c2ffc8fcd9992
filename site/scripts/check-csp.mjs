#!/usr/bin/env node
// npm run check:csp  (after npm run build)
// Fails if csp.txt is not the one-line policy the site is built for, or if anything in
// dist/ would be blocked by it: inline <script>/<style>, style= or on*= attributes,
// eval, or scripts, styles, images or fonts from another origin.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCspText, checkDist } from './csp-lib.mjs';

const siteDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = process.argv[2] ? join(process.cwd(), process.argv[2]) : join(siteDir, 'dist');

let cspText = '';
try {
  cspText = readFileSync(join(siteDir, 'csp.txt'), 'utf8');
} catch {
  cspText = '';
}
const problems = [...checkCspText(cspText)];
const result = checkDist(distDir);
problems.push(...result.problems);

if (problems.length > 0) {
  console.error(`check-csp: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}

console.log(`check-csp: ${relative(process.cwd(), distDir) || '.'} complies with csp.txt`);
console.log(`  policy: ${cspText.trim()}`);
for (const file of result.files.sort()) {
  const name = relative(distDir, file).split('\\').join('/');
  console.log(`  ${String(statSync(file).size).padStart(8)}  ${name}`);
}
