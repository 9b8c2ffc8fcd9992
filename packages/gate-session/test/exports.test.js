// @vitest-environment node
// The declarations a TypeScript user gets name exactly what the module exports at run time.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function declared(file) {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map((m) => m[1]).sort();
}

describe('package exports', () => {
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    it(`${entry}: the declarations match the module`, async () => {
      const mod = await import(join(root, target.default));
      expect(declared(target.types)).toEqual(Object.keys(mod).sort());
    });
  }

  it('ships no test or JSX source', () => {
    expect(pkg.files.every((f) => !/test|jsx/.test(f))).toBe(true);
  });
});
