/**
 * What npm shows and ships of each published package: its README stands alone (absolute links,
 * install and usage for ES modules and CommonJS, versions, type packages), its snippets are the
 * consumer apps `run.mjs` installs and runs, and its package.json carries what a registry page
 * and a resolver need. The build and the tarballs themselves are checked by `run.mjs` and
 * `scripts/check-packages.mjs` in CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const REPO = 'https://github.com/twofa-kit/twofa-kit';
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The Node.js lines the consumer test runs every app on: the one running it (20 here) and NODE_LINES. */
const TESTED_LINES = 'Tested on Node.js 20, 22, 24 and 26.';

const PACKAGES = {
  core: { types: [] as string[] },
  fastify: { types: [] as string[] },
  koa: { types: ['@types/koa'] },
  express: { types: ['@types/express'] },
  nestjs: { types: [] as string[] },
  fetch: { types: [] as string[] },
  hono: { types: [] as string[] },
};

describe.each(Object.entries(PACKAGES))('@twofa-kit/%s', (name, { types }) => {
  const readme = read(`packages/${name}/README.md`);
  const manifest = JSON.parse(read(`packages/${name}/package.json`));

  it('has a README that stands alone on the npm page: every link absolute', () => {
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link, link).toMatch(/^https:\/\//);
    // No pointer into the repository that is not in the tarball (snippet markers are comments).
    const prose = readme.replace(/<!-- snippet: \S+ -->/g, '');
    expect(prose).not.toMatch(/root README|`examples\/|`internal\/|`apps\/|`test\/|`src\//);
    for (const link of links.filter((l) => l.startsWith(REPO))) {
      expect(link, link).toMatch(new RegExp(`^${REPO}($|#|/tree/main/packages/|/blob/main/LICENSE|/issues)`));
    }
  });

  it('says how to install (npm, pnpm, yarn), on which Node.js, and how to load it both ways', () => {
    for (const command of [
      `npm install @twofa-kit/${name}`,
      `pnpm add @twofa-kit/${name}`,
      `yarn add @twofa-kit/${name}`,
    ]) {
      expect(readme).toContain(command);
    }
    expect(readme).toContain('20.19+, 22.12+ or 23+');
    expect(readme.replace(/\s+/g, ' ')).toContain(TESTED_LINES);
    expect(readme).toMatch(new RegExp(`import \\{[^}]+\\} from '@twofa-kit/${name}'`));
    expect(readme).toMatch(new RegExp(`const \\{[^}]+\\} = require\\('@twofa-kit/${name}'\\)`));
    for (const pkg of types) expect(readme).toContain(pkg);
  });

  it('quotes its app snippets verbatim from the consumer apps CI installs and runs', () => {
    const snippets = [...readme.matchAll(/<!-- snippet: (\S+) -->\n```\w+\n([\s\S]*?)```/g)];
    if (name !== 'core') expect(snippets.length).toBe(1);
    for (const [, path, code] of snippets) {
      expect(path).toMatch(/^internal\/consumer-tests\/apps\//);
      expect(code, path).toBe(read(path as string));
    }
  });

  it('has the package.json fields of a published package', () => {
    expect(manifest).toMatchObject({
      license: 'MIT',
      type: 'module',
      sideEffects: false,
      engines: { node: '^20.19.0 || >=22.12.0' },
      homepage: `${REPO}/tree/main/packages/${name}#readme`,
      bugs: { url: `${REPO}/issues` },
      repository: { type: 'git', url: `git+${REPO}.git`, directory: `packages/${name}` },
      main: './dist/index.cjs',
      types: './dist/index.d.cts',
      exports: {
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          default: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
        './package.json': './package.json',
      },
    });
    expect(manifest.keywords.length).toBeGreaterThan(3);
    expect(manifest.scripts.build).toBe('node ../../scripts/build-package.mjs');
  });

  it('ships the MIT LICENSE of the repository and a CHANGELOG', () => {
    expect(read(`packages/${name}/LICENSE`)).toBe(read('LICENSE'));
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    expect(read(`packages/${name}/CHANGELOG.md`)).toMatch(
      new RegExp(`^# @twofa-kit/${name}\\n\\n## \\d+\\.\\d+\\.\\d+`),
    );
  });
});

describe('the root README and the release tooling', () => {
  const readme = read('README.md');

  it('says what to install and import for each framework, both module systems, the type packages', () => {
    const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('## Quick start'));
    for (const text of [
      'npm install @twofa-kit/fastify fastify',
      'npm install @twofa-kit/koa koa @koa/router',
      'npm install @twofa-kit/express express',
      'pnpm add',
      'yarn add',
      '@types/koa',
      '@types/express',
      '20.19+, 22.12+ or 23+',
      "from '@twofa-kit/express'",
      "require('@twofa-kit/express')",
    ]) {
      expect(install, text).toContain(text);
    }
  });

  it('names the Node.js lines the consumer test runs every app on', () => {
    expect(read('internal/consumer-tests/run.mjs')).toContain("process.env.NODE_LINES ?? '22,24,26'");
    expect(readme.replace(/\s+/g, ' ')).toContain('tested on Node.js 20, 22, 24 and 26');
  });

  it('has the quick start import from the adapters only', () => {
    for (const framework of ['fastify', 'koa', 'express']) {
      expect(read(`examples/${framework}/src/app.ts`)).not.toContain("from '@twofa-kit/core'");
    }
  });

  it('keeps versions and changelogs with Changesets, the four packages together', () => {
    const config = JSON.parse(read('.changeset/config.json'));
    expect(config.fixed).toEqual([Object.keys(PACKAGES).map((n) => `@twofa-kit/${n}`)]);
    expect(config.access).toBe('public');
    expect(JSON.parse(read('package.json')).devDependencies['@changesets/cli']).toBeDefined();
    const contributing = read('CONTRIBUTING.md');
    for (const command of ['pnpm changeset', 'pnpm changeset version']) expect(contributing).toContain(command);
    expect(existsSync(join(ROOT, '.changeset/README.md'))).toBe(true);
  });
});
