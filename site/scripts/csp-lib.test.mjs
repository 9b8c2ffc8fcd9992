// @vitest-environment node
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCss, checkCspText, checkDist, checkJs, checkMarkup } from './csp-lib.mjs';

const siteDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

const GOOD_HTML = `<!doctype html>
<html lang="en"><head>
<link rel="icon" type="image/svg+xml" href="/favicon.svg" />
<script type="module" crossorigin src="/assets/index-abc.js"></script>
<link rel="stylesheet" crossorigin href="/assets/index-abc.css">
</head><body><div id="root"></div></body></html>`;

describe('csp.txt', () => {
  it('is the one-line target policy', () => {
    const text = readFileSync(join(siteDir, 'csp.txt'), 'utf8');
    expect(text.trimEnd()).toBe(TARGET);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(checkCspText(text)).toEqual([]);
  });

  it('is refused when it loosens the policy or spans lines', () => {
    expect(checkCspText(TARGET.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"))).toContain(
      "csp.txt allows 'unsafe-inline' in script-src",
    );
    expect(checkCspText(TARGET.replace("; object-src 'none'", ''))).toContain('csp.txt lacks object-src');
    expect(checkCspText(TARGET.replace('; ', ';\n'))).toContain('csp.txt must be a single line');
    expect(checkCspText('')).toEqual(['csp.txt is empty']);
  });
});

describe('csp.txt effective policy (CSP3 fallback order)', () => {
  // Every fetch directive a browser knows (CSP3 section 6.1 and the fallback list): adding any of
  // them with a source the target policy does not allow for that kind of load must be refused.
  const FETCH = [
    'default-src', 'script-src', 'script-src-elem', 'script-src-attr', 'style-src', 'style-src-elem',
    'style-src-attr', 'worker-src', 'child-src', 'frame-src', 'fenced-frame-src', 'connect-src',
    'manifest-src', 'img-src', 'media-src', 'font-src', 'object-src',
  ];
  const WIDER = ['https://cdn.example', "'unsafe-inline'", "'nonce-abc'", "'sha256-abc'", 'blob:', "'strict-dynamic'", '*', 'https:'];

  it('refuses every fetch directive that widens a load, whichever name carries it', () => {
    for (const name of FETCH) {
      for (const source of WIDER) {
        const policy = TARGET.includes(`${name} `)
          ? TARGET.replace(new RegExp(`(^|; )${name} ([^;]*)`), `$1${name} $2 ${source}`)
          : `${TARGET}; ${name} 'self' ${source}`;
        expect(checkCspText(policy), `${name} ... ${source}`).not.toEqual([]);
      }
    }
  });

  it('refuses what the review found passing', () => {
    for (const extra of [
      "script-src-elem 'self' data:",
      'script-src-elem https://cdn.example',
      "style-src-elem 'self' https://fonts.example",
      'worker-src blob:',
      'report-uri https://collector.example/csp',
      'report-to elsewhere',
    ]) {
      expect(checkCspText(`${TARGET}; ${extra}`), extra).not.toEqual([]);
    }
  });

  it('accepts a directive that only says again, or narrows, what the policy allows', () => {
    for (const extra of ["script-src-elem 'self'", "worker-src 'none'", "media-src 'none'", "manifest-src 'self'", 'upgrade-insecure-requests']) {
      expect(checkCspText(`${TARGET}; ${extra}`), extra).toEqual([]);
    }
  });

  it('lets the first of a repeated directive count, as browsers do', () => {
    expect(checkCspText(`${TARGET}; script-src 'self' https://cdn.example`)).toContain('csp.txt repeats script-src');
  });
});

describe('markup checks', () => {
  it('accepts what Vite emits', () => {
    expect(checkMarkup(GOOD_HTML, 'index.html').problems).toEqual([]);
  });

  it.each([
    ['<script>alert(1)</script>', /inline <script> body/],
    ['<script type="module">import "/x.js"</script>', /inline <script> body/],
    ['<style>body{color:red}</style>', /<style> element/],
    ['<div style="color:red"></div>', /style= attribute on <div>/],
    ["<p STYLE='x'>", /style= attribute on <p>/],
    ['<button onclick="go()">Go</button>', /onclick= event handler/],
    ['<script src="https://cdn.example.com/react.js"></script>', /loads from another origin/],
    ['<script src="//cdn.example.com/react.js"></script>', /loads from another origin/],
    ['<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Inter">', /loads from another origin/],
    ['<img src="http://example.com/a.png">', /loads from another origin/],
    ['<a href="javascript:void(0)">x</a>', /javascript: URL/],
    ['<base href="/">', /<base> element/],
  ])('flags %s', (snippet, message) => {
    const html = GOOD_HTML.replace('<div id="root"></div>', snippet);
    const { problems } = checkMarkup(html, 'index.html');
    expect(problems.join('\n')).toMatch(message);
  });

  it('lets ordinary links point elsewhere and images be data: URIs', () => {
    const html = GOOD_HTML.replace(
      '<div id="root"></div>',
      '<a href="https://example.com/">x</a><img src="data:image/png;base64,AAAA" alt="">',
    );
    expect(checkMarkup(html, 'index.html').problems).toEqual([]);
  });
});

describe('css and js checks', () => {
  it('flags styles and scripts that load from elsewhere or eval', () => {
    expect(checkCss('a{background:url(/assets/a.svg)}', 'a.css')).toEqual([]);
    expect(checkCss("@import url('https://fonts.example/x.css');", 'a.css')).toHaveLength(1);
    expect(checkCss('a{background:url("//cdn.example/a.png")}', 'a.css')).toHaveLength(1);
    expect(checkJs('const x = 1; obj.eval(2);', 'a.js')).toEqual([]);
    expect(checkJs('eval("1+1")', 'a.js')).toEqual(['a.js: calls eval()']);
    expect(checkJs('x = new Function("return 1")', 'a.js')).toEqual(['a.js: uses new Function()']);
    expect(checkJs('import("https://cdn.example/x.js")', 'a.js')).toHaveLength(1);
  });
});

describe('checkDist', () => {
  let dir;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  function makeDist(files) {
    dir = mkdtempSync(join(tmpdir(), 'csp-dist-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('passes a clean build', () => {
    const d = makeDist({
      'index.html': GOOD_HTML,
      'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
      'assets/index-abc.js': 'console.log(1)',
      'assets/index-abc.css': 'body{margin:0}',
    });
    const result = checkDist(d);
    expect(result.problems).toEqual([]);
    expect(result.index.scripts).toEqual(['/assets/index-abc.js']);
  });

  it('fails without index.html, on a missing asset, and on bad files anywhere', () => {
    expect(checkDist(join(tmpdir(), 'no-such-dist-dir')).problems[0]).toMatch(/does not exist/);
    const d = makeDist({
      'index.html': GOOD_HTML,
      'assets/index-abc.js': 'eval("x")',
      'assets/index-abc.css': '@import "https://x.example/a.css";',
      'other/page.html': '<div style="x"></div>',
      'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>',
    });
    const problems = checkDist(d).problems.join('\n');
    expect(problems).toMatch(/eval/);
    expect(problems).toMatch(/@import/);
    expect(problems).toMatch(/other\/page.html: style= attribute/);
    expect(problems).toMatch(/favicon.svg: onload= event handler/);
    rmSync(join(d, 'favicon.svg'));
    expect(checkDist(d).problems.join('\n')).toMatch(/references \/favicon.svg, which is not in the build/);
    rmSync(join(d, 'index.html'));
    expect(checkDist(d).problems.join('\n')).toMatch(/index.html is missing/);
  });

  it.skipIf(!existsSync(join(siteDir, 'dist', 'index.html')))('the current site/dist complies', () => {
    expect(checkDist(join(siteDir, 'dist')).problems).toEqual([]);
  });
});

describe('source rules that keep the build CSP-clean', () => {
  it('no inline style props or raw HTML in the React code', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const offenders = [];
    const walk = (d) => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.jsx?$/.test(name) && !/\.test\.jsx?$/.test(name)) {
          const src = readFileSync(full, 'utf8');
          if (/\bstyle=\{/.test(src) || /dangerouslySetInnerHTML/.test(src)) offenders.push(full);
        }
      }
    };
    walk(join(siteDir, 'src'));
    expect(offenders).toEqual([]);
  });
});
