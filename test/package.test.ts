/**
 * The package as users install it: the built dist/, reached through package.json `exports` by its own name
 * (self-reference), from ESM and from CommonJS, and the file list npm would publish.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Strategy as PassportStrategy } from 'passport-strategy';
import passport from 'passport';
import type * as LibIndex from '../lib/index.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = 'passport-wso2is';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  engines?: { node?: string };
  exports: Record<string, unknown>;
  main?: string;
  types?: string;
  files?: string[];
};

/** The built package's API, typed like the sources it is built from (the specifier is not resolved by tsc). */
type Built = typeof LibIndex;
async function importBuilt(): Promise<Built> {
  const specifier: string = NAME;
  return (await import(specifier)) as Built;
}

const OPTIONS = { clientId: 'app-client', clientSecret: 's3cret', callbackURL: 'https://localhost:5000/login' };

function atLeast(version: string, minimum: string): boolean {
  const [a = 0, b = 0, c = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [x = 0, y = 0, z = 0] = minimum.split('.').map(Number);
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

describe('the built package', () => {
  before(async function () {
    if (existsSync(join(ROOT, 'dist', 'index.js'))) return;
    this.timeout(180_000);
    await run('npm', ['run', 'build'], { cwd: ROOT });
  });

  it('is named passport-wso2is, so it can import itself by name', () => {
    assert.equal(pkg.name, NAME);
  });

  it("import('passport-wso2is') exposes Wso2IsStrategy, Strategy (the same class) and Wso2IsError", async () => {
    const built = await importBuilt();
    assert.equal(typeof built.Wso2IsStrategy, 'function');
    assert.equal(built.Strategy, built.Wso2IsStrategy);
    assert.equal(typeof built.Wso2IsError, 'function');
    assert.equal(typeof built.wso2Endpoints, 'function');
    assert.equal(typeof built.isSafeReturnTo, 'function');
  });

  it('resolves to dist/index.js through package.json exports (not to the TypeScript sources)', () => {
    assert.equal(createRequire(import.meta.url).resolve(NAME), join(ROOT, 'dist', 'index.js'));
  });

  it('a strategy of the built package is a passport-strategy Strategy with a name and authenticate', async () => {
    const { Wso2IsStrategy } = await importBuilt();
    const strategy = new Wso2IsStrategy(OPTIONS, (_tokens, profile, done) => done(null, { id: profile.id }));
    try {
      assert.ok(strategy instanceof PassportStrategy);
      assert.equal(strategy.name, 'wso2is');
      assert.equal(typeof strategy.authenticate, 'function');
      const authenticator = new passport.Passport();
      authenticator.use(strategy);
      assert.equal((authenticator as unknown as { _strategy(name: string): unknown })._strategy('wso2is'), strategy);
    } finally {
      await strategy.close();
    }
  });

  it('a configuration error of the built package is its exported Wso2IsError with code CONFIG_INVALID', async () => {
    const { Wso2IsStrategy, Wso2IsError } = await importBuilt();
    assert.throws(
      () => new Wso2IsStrategy({ ...OPTIONS, clientId: undefined }, (_t, _p, done) => done(null, false)),
      (err: unknown) => err instanceof Wso2IsError && err.code === 'CONFIG_INVALID' && err.message.includes('`clientId`'),
    );
  });

  it("require('passport-wso2is') works from CommonJS on this Node (require(esm), Node >= 20.19), with the same classes as import", async function () {
    if (!atLeast(process.version, '20.19.0')) this.skip();
    assert.ok(pkg.engines?.node?.includes('20.19'), `engines.node should say >=20.19 (require(esm)), got ${pkg.engines?.node}`);
    const script = `
      const cjs = require(${JSON.stringify(NAME)});
      import(${JSON.stringify(NAME)}).then((esm) => {
        process.stdout.write(JSON.stringify({
          strategy: typeof cjs.Wso2IsStrategy,
          alias: cjs.Strategy === cjs.Wso2IsStrategy,
          error: typeof cjs.Wso2IsError,
          sameAsImport: cjs.Wso2IsStrategy === esm.Wso2IsStrategy && cjs.Wso2IsError === esm.Wso2IsError,
        }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
    assert.deepEqual(JSON.parse(stdout), { strategy: 'function', alias: true, error: 'function', sameAsImport: true });
  });

  describe('package.json', () => {
    it("exports '.' lists `types` before `default` (TypeScript takes the first condition that matches)", () => {
      const dot = pkg.exports['.'];
      assert.ok(dot !== null && typeof dot === 'object', 'exports["."] is a conditions object');
      const keys = Object.keys(dot);
      assert.ok(keys.includes('types') && keys.includes('default'), JSON.stringify(keys));
      assert.ok(keys.indexOf('types') < keys.indexOf('default'), JSON.stringify(keys));
    });

    it('every file that exports, main and types point at exists in the build', () => {
      const targets = [pkg.main, pkg.types, ...Object.values(pkg.exports['.'] as Record<string, string>)].filter((t): t is string => typeof t === 'string');
      assert.ok(targets.length >= 2);
      for (const target of targets) assert.ok(existsSync(join(ROOT, target)), target);
    });

    it('files publishes only dist (+ README/CHANGELOG)', () => {
      assert.ok(Array.isArray(pkg.files), 'a files allow-list, not .npmignore');
      assert.ok(pkg.files.includes('dist'));
      for (const entry of pkg.files) assert.ok(['dist', 'README.md', 'CHANGELOG.md'].includes(entry), `unexpected files entry ${entry}`);
    });

    it('npm pack would publish dist/ and package metadata only: no identity-server, test, example, bench or lib sources', async function () {
      this.timeout(60_000);
      const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
      const [report] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
      assert.ok(report);
      const paths = report.files.map((f) => f.path);
      assert.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts'), 'the entry points are published');
      const unexpected = paths.filter((p) => !p.startsWith('dist/') && !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\..*)?)$/i.test(p));
      assert.deepEqual(unexpected, []);
      for (const dir of ['identity-server/', 'test/', 'example/', 'bench/', 'lib/']) {
        assert.ok(!paths.some((p) => p.startsWith(dir)), `${dir} is not published`);
      }
    });
  });
});
