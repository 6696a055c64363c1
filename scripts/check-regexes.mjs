#!/usr/bin/env node
// Fails when a regular expression in the packages' sources can backtrack super-linearly (ReDoS).
// Every regex literal and every `new RegExp('literal', 'flags')` in `packages/*/src` (or the
// directories given as arguments) is checked with recheck; a `RegExp` built from something else is
// refused, except the parameter patterns the route table declares, which are checked from the
// built core (`packages/core/dist`). Prints one line per expression and ends with a summary.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkSync } from 'recheck';

const root = join(import.meta.dirname, '..');

function sourceDirs() {
  const packages = join(root, 'packages');
  return readdirSync(packages)
    .map((name) => join(packages, name, 'src'))
    .filter((dir) => existsSync(dir));
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(c|m)?[jt]s$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** Tokens after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_PUNCT = new Set([
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
]);
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
]);

/**
 * The regular expressions of one source file: `{ line, source, flags }` for each literal and each
 * `new RegExp('...', '...')` with literal arguments; `{ line, dynamic: true }` for a RegExp built
 * from anything else. A small scanner: strings, template literals and comments are skipped, and a
 * `/` is a regex when the previous significant token cannot end an expression.
 */
export function extract(text) {
  const out = [];
  let line = 1;
  let prev = ''; // previous significant token: a punctuator char, a word, or 'value'
  let i = 0;
  const n = text.length;
  const readString = (quote) => {
    let j = i + 1;
    let value = '';
    while (j < n && text[j] !== quote) {
      if (text[j] === '\\') {
        value += text.slice(j, j + 2);
        j += 2;
      } else {
        if (text[j] === '\n') line++;
        value += text[j++];
      }
    }
    i = j + 1;
    return value;
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      readString(c);
      prev = 'value';
    } else if (c === '`') {
      // Template literal: skip it, including `${...}` parts (nested braces and strings counted).
      let j = i + 1;
      let depth = 0;
      while (j < n) {
        const d = text[j];
        if (d === '\n') line++;
        if (d === '\\') j += 2;
        else if (depth === 0 && d === '`') break;
        else if (d === '$' && text[j + 1] === '{') {
          depth++;
          j += 2;
        } else if (depth > 0 && d === '}') {
          depth--;
          j++;
        } else j++;
      }
      i = j + 1;
      prev = 'value';
    } else if (c === '/' && (prev === '' || REGEX_AFTER_PUNCT.has(prev) || REGEX_AFTER_WORD.has(prev))) {
      let j = i + 1;
      let inClass = false;
      while (j < n) {
        const d = text[j];
        if (d === '\\') j += 2;
        else if (d === '[') {
          inClass = true;
          j++;
        } else if (d === ']') {
          inClass = false;
          j++;
        } else if (d === '/' && !inClass) break;
        else j++;
      }
      const source = text.slice(i + 1, j);
      let k = j + 1;
      while (k < n && /[a-z]/.test(text[k])) k++;
      out.push({ line, source, flags: text.slice(j + 1, k) });
      i = k;
      prev = 'value';
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i;
      while (j < n && /[\w$]/.test(text[j])) j++;
      const word = text.slice(i, j);
      i = j;
      if (word === 'RegExp' && prev === 'new') out.push(regExpCall(text, i, line));
      prev = REGEX_AFTER_WORD.has(word) ? word : 'value';
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[\w.]/.test(text[i])) i++;
      prev = 'value';
    } else {
      i++;
      prev = c === ')' || c === ']' ? 'value' : c;
    }
  }
  return out;
}

/** `new RegExp('a', 'u')` with string literal arguments → its source and flags; else dynamic. */
function regExpCall(text, at, line) {
  const m = /^\s*\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1\s*(?:,\s*(['"])([a-z]*)\3\s*)?\)/.exec(text.slice(at, at + 2000));
  if (m === null) return { line, dynamic: true };
  return { line, source: JSON.parse(`"${m[2].replaceAll('"', '\\"')}"`), flags: m[4] ?? '' };
}

/** The parameter patterns the core's route table declares (they reach `new RegExp` at run time). */
async function declaredPatterns() {
  const dist = join(root, 'packages/core/dist/adapter.js');
  if (!existsSync(dist)) return undefined;
  const core = await import(pathToFileURL(dist).href);
  const out = [];
  for (const route of core.ROUTES) {
    for (const param of route.params) {
      if (param.pattern !== undefined)
        out.push({ where: `route ${route.id}, param ${param.name}`, source: param.pattern, flags: 'u' });
    }
  }
  return out;
}

/** The one place a dynamic RegExp is allowed: params.ts compiles the declared patterns checked above. */
const DYNAMIC_ALLOWED = new Set(['packages/core/src/http/params.ts']);

async function main() {
  const args = process.argv.slice(2);
  const dirs = args.length > 0 ? args.map((a) => resolve(a)) : sourceDirs();
  const checks = [];
  const problems = [];
  for (const dir of dirs) {
    for (const file of files(dir)) {
      const rel = relative(root, file);
      for (const found of extract(readFileSync(file, 'utf8'))) {
        if (found.dynamic) {
          if (!DYNAMIC_ALLOWED.has(rel))
            problems.push(`${rel}:${found.line}: RegExp built from a non-literal (cannot be checked)`);
          continue;
        }
        checks.push({ where: `${rel}:${found.line}`, source: found.source, flags: found.flags });
      }
    }
  }
  if (args.length === 0) {
    const declared = await declaredPatterns();
    if (declared === undefined) problems.push('packages/core/dist is missing: build first (pnpm run build)');
    else checks.push(...declared);
  }
  for (const c of checks) {
    const result = checkSync(c.source, c.flags, { timeout: 10_000 });
    const verdict =
      result.status === 'safe'
        ? 'safe'
        : result.status === 'vulnerable'
          ? `VULNERABLE (${result.complexity.type})`
          : `UNKNOWN (${result.status})`;
    console.log(`${verdict.padEnd(24)} ${c.where}  /${c.source}/${c.flags}`);
    if (result.status !== 'safe') problems.push(`${c.where}: /${c.source}/${c.flags} is ${verdict}`);
  }
  for (const p of problems) console.error(`check-regexes: ${p}`);
  console.log(`check-regexes: ${checks.length} regular expressions checked, ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
