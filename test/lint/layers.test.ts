// The layer rules of eslint.config.js bite: ESLint's Node API lints small
// snippets as if they were modules at real paths of src/, with the project's
// own configuration. Type information is switched off (the layer rule needs
// none, and it keeps this test to a second or two instead of loading the
// whole TypeScript project).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

/** The restricted import specifiers ESLint reports in `code` as the module at `path`. */
async function refused(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  assert.ok(result, 'one result per text');
  const fatal = result.messages.filter((m) => m.fatal === true);
  assert.deepEqual(fatal, [], 'the snippet parses');
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => /'([^']+)'/.exec(m.message)?.[1] ?? m.message);
}

/**
 * A Kysely query builder's entry points and the `sql` tag: what a module that
 * builds a query contains. (Opening a transaction is not SQL of its own.)
 */
const BUILDS_SQL =
  /\.(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)\(|\bsql(<[^>]*>)?`|\bsql\.(raw|ref|table|id|lit|join|val)\(/;

/** The TypeScript modules under `dir` (relative to the repository, '/'-separated). */
function modulesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('layer rules (eslint.config.js no-restricted-imports)', () => {
  test('domain modules import neither fastify (types included) nor a driver nor the API', async () => {
    const bad = [
      "import type { FastifyBaseLogger } from 'fastify';",
      "import swagger from '@fastify/swagger';",
      "import pg from 'pg';",
      "import { Pool } from 'pg/lib/index.js';",
      "import Database from 'better-sqlite3';",
      "import { ctxOf } from '../../api/types.ts';",
      "import { registerServiceRoutes } from './routes.ts';",
      "export { registerPublicServiceRoutes } from './public-routes.ts';",
    ];
    for (const path of [
      'src/vpcep/services/service.ts',
      'src/context/request-context.ts',
      'src/vpc/operations.ts',
      'src/jobs/worker.ts',
    ]) {
      assert.deepEqual(
        await refused(path, bad.join('\n')),
        [
          'fastify',
          '@fastify/swagger',
          'pg',
          'pg/lib/index.js',
          'better-sqlite3',
          '../../api/types.ts',
          './routes.ts',
          './public-routes.ts',
        ],
        path,
      );
    }
    const fine = [
      "import type { Kysely } from 'kysely';",
      "import { apiError } from '../../errors/api-error.ts';",
      "import * as repo from './repository.ts';",
      "import { lockService } from '../shared/locks.ts';",
    ];
    assert.deepEqual(await refused('src/vpcep/services/service.ts', fine.join('\n')), []);
  });

  test('query modules import no domain, API or HTTP-error module, and no driver', async () => {
    const bad = [
      "import { assertServiceTransition } from '../shared/lifecycle.ts';",
      "import { serviceView } from '../shared/present.ts';",
      "import { checkPorts } from './rules.ts';",
      "import { createService } from './service.ts';",
      "import type { VpcepDeps } from '../deps.ts';",
      "import { apiError } from '../../errors/api-error.ts';",
      "import type { App } from '../../api/types.ts';",
      "import type { FastifyInstance } from 'fastify';",
      "import pg from 'pg';",
    ];
    for (const path of [
      'src/vpcep/services/repository.ts',
      'src/vpcep/shared/locks.ts',
      'src/vpcep/shared/usage.ts',
      'src/vpcep/tags/resources.ts',
    ]) {
      const got = await refused(path, bad.join('\n'));
      // A type import of a domain module is allowed (a row shape may be named by the domain).
      assert.deepEqual(
        got,
        [
          '../shared/lifecycle.ts',
          '../shared/present.ts',
          './rules.ts',
          './service.ts',
          '../../errors/api-error.ts',
          '../../api/types.ts',
          'fastify',
          'pg',
        ],
        path,
      );
    }
    const fine = [
      "import { sql, type Kysely } from 'kysely';",
      "import type { Database } from '../../store/schema.ts';",
      "import { inChunks } from '../../store/in-chunks.ts';",
      "import { applyPage } from '../shared/pagination.ts';",
      "import { tagsOf } from '../shared/tag-rows.ts';",
      "import { getServiceById } from '../services/repository.ts';",
      "import type { PortMapping } from '../shared/present.ts';",
    ];
    assert.deepEqual(await refused('src/vpcep/endpoints/repository.ts', fine.join('\n')), []);
  });

  test('only the store loads drivers; only the edge loads fastify', async () => {
    const drivers = "import pg from 'pg';\nimport Database from 'better-sqlite3';";
    assert.deepEqual(await refused('src/store/open.ts', drivers), []);
    assert.deepEqual(await refused('src/api/app.ts', drivers), ['pg', 'better-sqlite3']);
    assert.deepEqual(await refused('src/main.ts', drivers), ['pg', 'better-sqlite3']);
    assert.deepEqual(await refused('src/dataplane/controller.ts', drivers), ['pg', 'better-sqlite3']);
    const web = "import Fastify from 'fastify';\nimport type { App } from '../../api/types.ts';";
    assert.deepEqual(await refused('src/vpcep/tags/routes.ts', web), []);
    assert.deepEqual(await refused('src/api/routes/vpc.ts', web), []);
  });

  test('nothing in src/ imports from test/', async () => {
    const code =
      "import { freshDatabase } from '../../test/support/db.ts';\nimport { test } from 'node:test';";
    for (const path of [
      'src/store/open.ts',
      'src/api/app.ts',
      'src/vpcep/services/repository.ts',
      'src/dataplane/forwarder/forwarder-set.ts',
    ]) {
      assert.deepEqual(await refused(path, code), ['../../test/support/db.ts'], path);
    }
  });

  test('every module that builds SQL is a query module or part of the store: none can throw HTTP errors', async () => {
    const withSql = modulesUnder('src').filter((path) =>
      BUILDS_SQL.test(readFileSync(join(root, path), 'utf8')),
    );
    // The detector finds what it must: modules known to hold SQL, of each kind.
    for (const known of [
      'src/identity/repository.ts',
      'src/vpcep/shared/locks.ts',
      'src/jobs/claim.ts',
      'src/store/seeding.ts',
    ]) {
      assert.ok(withSql.includes(known), `${known} is found to hold SQL`);
    }
    const importOf = (path: string) => {
      const spec = relative(dirname(join(root, path)), join(root, 'src/errors/api-error.ts'));
      return spec.startsWith('.') ? spec : `./${spec}`;
    };
    // The check discriminates: a domain module may throw the catalog's errors.
    const domain = 'src/vpcep/services/service.ts';
    assert.deepEqual(await refused(domain, `import { apiError } from '${importOf(domain)}';`), []);
    const uncovered: string[] = [];
    for (const path of withSql) {
      const spec = importOf(path);
      const got = await refused(path, `import { ApiError, apiError } from '${spec}';`);
      if (!got.includes(spec)) uncovered.push(path);
    }
    assert.deepEqual(
      uncovered,
      [],
      'modules with SQL that may import errors/api-error.ts (not in QUERY or STORE)',
    );
  });
});
