// Checks that a built site can run under the CSP in csp.txt: no inline scripts or
// styles, no event-handler or style attributes, no eval, nothing from another origin.
// Used by check-csp.mjs (npm run check:csp) and by its own tests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const REQUIRED_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
};

// CSP Level 3, "Get the effective directive for request" and "directive fallback list"
// (https://www.w3.org/TR/CSP3/#directive-fallback-list): a load is governed by the first of
// these directives the policy has. A policy that adds script-src-elem, worker-src, ... is
// applied by browsers in place of script-src, so each effective directive is checked, not names.
export const FETCH_FALLBACKS = {
  'script-src-elem': ['script-src-elem', 'script-src', 'default-src'],
  'script-src-attr': ['script-src-attr', 'script-src', 'default-src'],
  'style-src-elem': ['style-src-elem', 'style-src', 'default-src'],
  'style-src-attr': ['style-src-attr', 'style-src', 'default-src'],
  'worker-src': ['worker-src', 'child-src', 'script-src', 'default-src'],
  'frame-src': ['frame-src', 'child-src', 'default-src'],
  'fenced-frame-src': ['fenced-frame-src', 'frame-src', 'child-src', 'default-src'],
  'child-src': ['child-src', 'default-src'],
  'connect-src': ['connect-src', 'default-src'],
  'manifest-src': ['manifest-src', 'default-src'],
  'img-src': ['img-src', 'default-src'],
  'media-src': ['media-src', 'default-src'],
  'font-src': ['font-src', 'default-src'],
  'object-src': ['object-src', 'default-src'],
};
const FETCH_DIRECTIVES = new Set(Object.values(FETCH_FALLBACKS).flat());
// Directives that restrict and never widen what loads; anything else (report-uri, report-to,
// unknown names) is refused: a report endpoint elsewhere receives the page's URLs.
const RESTRICTING_DIRECTIVES = new Set([
  'base-uri',
  'form-action',
  'frame-ancestors',
  'sandbox',
  'upgrade-insecure-requests',
  'block-all-mixed-content',
  'require-trusted-types-for',
  'trusted-types',
]);

export function parsePolicy(text) {
  const directives = new Map();
  const repeated = [];
  for (const part of text.split(';')) {
    const tokens = part.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const name = tokens[0].toLowerCase();
    // CSP3 "parse a serialized CSP": a repeated directive is ignored, the first one counts.
    if (directives.has(name)) repeated.push(tokens[0]);
    else directives.set(name, tokens.slice(1));
  }
  return { directives, repeated };
}

/** The source expressions a directive allows, as a set ('none' alone = nothing). */
function sourceSet(values) {
  const lowered = values.map((v) => v.toLowerCase());
  if (lowered.length === 1 && lowered[0] === "'none'") return new Set();
  return new Set(lowered.filter((v) => v !== "'none'"));
}

/** What each kind of load may come from under `directives` (null: no directive, anything loads). */
export function effectivePolicy(directives) {
  const out = {};
  for (const [kind, fallbacks] of Object.entries(FETCH_FALLBACKS)) {
    const found = fallbacks.find((name) => directives.has(name));
    out[kind] = found === undefined ? null : sourceSet(directives.get(found));
  }
  return out;
}

const ALLOWED_EFFECTIVE = effectivePolicy(new Map(Object.entries(REQUIRED_DIRECTIVES)));

/** Problems with the policy text itself (one line, the directives the site is built for). */
export function checkCspText(text) {
  const problems = [];
  const body = text.replace(/\r?\n$/, '');
  if (body.trim() === '') return ['csp.txt is empty'];
  if (/[\r\n]/.test(body)) problems.push('csp.txt must be a single line');
  const { directives, repeated } = parsePolicy(body);
  for (const name of repeated) problems.push(`csp.txt repeats ${name}`);
  for (const [name, expected] of Object.entries(REQUIRED_DIRECTIVES)) {
    const got = directives.get(name);
    if (!got) {
      problems.push(`csp.txt lacks ${name}`);
    } else if (got.join(' ') !== expected.join(' ')) {
      problems.push(`csp.txt has "${name} ${got.join(' ')}", expected "${name} ${expected.join(' ')}"`);
    }
  }
  for (const [name, values] of directives) {
    for (const v of values) {
      if (/^'unsafe-|^'wasm-unsafe-eval'$|^\*$|^https?:$/i.test(v)) {
        problems.push(`csp.txt allows ${v} in ${name}`);
      }
    }
    if (!FETCH_DIRECTIVES.has(name) && !RESTRICTING_DIRECTIVES.has(name) && !(name in REQUIRED_DIRECTIVES)) {
      problems.push(`csp.txt has ${name}, which the site's policy does not allow`);
    }
  }
  const effective = effectivePolicy(directives);
  for (const [kind, allowed] of Object.entries(ALLOWED_EFFECTIVE)) {
    const got = effective[kind];
    const extra = got === null ? ['(anything)'] : [...got].filter((v) => !allowed.has(v));
    if (extra.length > 0) {
      problems.push(`csp.txt lets ${kind} load from ${extra.join(' ')} (allowed: ${[...allowed].join(' ') || "'none'"})`);
    }
  }
  return problems;
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

const TAG_RE = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
const ATTR_RE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function parseAttrs(text) {
  const attrs = new Map();
  for (const m of text.matchAll(ATTR_RE)) {
    attrs.set(m[1].toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** True for URLs that leave the site's own origin (scheme or protocol-relative). */
export function isExternalUrl(url) {
  const u = url.trim();
  if (u.startsWith('//') || u.startsWith('\\\\')) return true;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(u);
  return Boolean(scheme);
}

const URL_ATTRS = ['src', 'href', 'srcset', 'poster', 'data', 'action', 'formaction', 'xlink:href'];

/** Problems in one HTML (or SVG) document. `where` names it in messages. */
export function checkMarkup(html, where, { distDir = null, isSvg = false } = {}) {
  const problems = [];
  const refs = [];
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, '');

  for (const m of withoutComments.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const attrs = parseAttrs(m[1]);
    if (m[2].trim() !== '') problems.push(`${where}: inline <script> body`);
    if (!attrs.has('src') && !isSvg) problems.push(`${where}: <script> without src`);
    if (isSvg) problems.push(`${where}: <script> in an SVG`);
  }
  if (/<style\b/i.test(withoutComments)) problems.push(`${where}: <style> element (inline style)`);

  for (const m of withoutComments.matchAll(TAG_RE)) {
    const tag = m[1].toLowerCase();
    const attrs = parseAttrs(m[2]);
    for (const [name, value] of attrs) {
      if (name === 'style') problems.push(`${where}: style= attribute on <${tag}>`);
      if (/^on[a-z]+$/.test(name)) problems.push(`${where}: ${name}= event handler on <${tag}>`);
      if (URL_ATTRS.includes(name)) {
        const urls = name === 'srcset' ? value.split(',').map((s) => s.trim().split(/\s+/)[0]) : [value];
        for (const url of urls) {
          if (/^\s*javascript:/i.test(url)) problems.push(`${where}: javascript: URL in <${tag} ${name}>`);
          // Ordinary <a href> to elsewhere is navigation, not a load; everything else loads.
          else if (isExternalUrl(url) && !(tag === 'a' && name === 'href') && !/^data:/i.test(url)) {
            problems.push(`${where}: <${tag} ${name}="${url}"> loads from another origin`);
          } else if (tag !== 'a' && url && !isExternalUrl(url)) {
            refs.push(url);
          }
        }
      }
    }
    if (['base', 'object', 'embed', 'iframe', 'frame', 'applet'].includes(tag)) {
      problems.push(`${where}: <${tag}> element is not allowed under the CSP`);
    }
    if (tag === 'meta' && /refresh/i.test(attrs.get('http-equiv') || '')) {
      problems.push(`${where}: <meta http-equiv="refresh">`);
    }
  }

  if (distDir) {
    for (const ref of refs) {
      const path = ref.split(/[?#]/)[0];
      if (!path.startsWith('/')) continue;
      if (!existsSync(join(distDir, decodeURIComponent(path)))) {
        problems.push(`${where}: references ${ref}, which is not in the build`);
      }
    }
  }
  return { problems, refs };
}

export function checkCss(css, where) {
  const problems = [];
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const m of text.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) {
    if (isExternalUrl(m[2]) && !/^data:/i.test(m[2].trim())) {
      problems.push(`${where}: url(${m[2]}) loads from another origin`);
    }
  }
  // @import url(...) is covered above; this catches @import "https://...".
  for (const m of text.matchAll(/@import\s+['"]([^'"]+)['"]/gi)) {
    if (isExternalUrl(m[1])) problems.push(`${where}: @import ${m[1]} loads from another origin`);
  }
  return problems;
}

export function checkJs(js, where) {
  const problems = [];
  if (/(^|[^.\w$])eval\s*\(/.test(js)) problems.push(`${where}: calls eval()`);
  if (/\bnew\s+Function\s*\(/.test(js)) problems.push(`${where}: uses new Function()`);
  if (/\bimport\s*\(\s*['"`](?:https?:)?\/\//.test(js)) {
    problems.push(`${where}: dynamic import() from another origin`);
  }
  if (/\bimportScripts\s*\(/.test(js)) problems.push(`${where}: importScripts()`);
  return problems;
}

/**
 * Check a whole build directory. Returns { problems, files, index } where index lists
 * what dist/index.html loads.
 */
export function checkDist(distDir) {
  const problems = [];
  if (!existsSync(distDir)) {
    return { problems: [`${distDir} does not exist: run "npm run build" first`], files: [], index: null };
  }
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) problems.push(`${relative(process.cwd(), indexPath)} is missing`);

  const files = walk(distDir);
  let index = null;
  for (const file of files) {
    const where = relative(distDir, file).split(sep).join('/');
    const lower = file.toLowerCase();
    if (lower.endsWith('.html') || lower.endsWith('.htm')) {
      const html = readFileSync(file, 'utf8');
      const result = checkMarkup(html, where, { distDir });
      problems.push(...result.problems);
      if (file === indexPath) {
        if (!/<html\b[^>]*\blang=["'][a-z]/i.test(html)) problems.push(`${where}: <html> has no lang`);
        const scripts = [...html.matchAll(/<script\b[^>]*\bsrc=["']([^"']+)["']/gi)].map((m) => m[1]);
        const styles = [...html.matchAll(/<link\b[^>]*\brel=["']stylesheet["'][^>]*>/gi)].map(
          (m) => (/\bhref=["']([^"']+)["']/i.exec(m[0]) || [])[1],
        );
        if (scripts.length === 0) problems.push(`${where}: loads no script`);
        if (styles.length === 0) problems.push(`${where}: loads no stylesheet`);
        index = { scripts, styles, refs: result.refs };
      }
    } else if (lower.endsWith('.svg')) {
      problems.push(...checkMarkup(readFileSync(file, 'utf8'), where, { isSvg: true }).problems);
    } else if (lower.endsWith('.css')) {
      problems.push(...checkCss(readFileSync(file, 'utf8'), where));
    } else if (lower.endsWith('.js') || lower.endsWith('.mjs')) {
      problems.push(...checkJs(readFileSync(file, 'utf8'), where));
    }
  }
  return { problems, files, index };
}
