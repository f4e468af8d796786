// Type-aware linting: the async-heavy server code benefits most from
// no-floating-promises and no-misused-promises. The layers of src/ are kept by
// no-restricted-imports below (docs/design/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---- Layers: api → domain → query modules → store -------------------------------
// A module's layer follows from its path. Imports are matched as written, so
// the rules work on specifiers ('../../api/types.ts'), not on resolved files.

/** The API edge and the composition root: the only modules that may know fastify. */
const EDGE = [
  'src/api/**',
  'src/**/routes.ts',
  'src/**/*-routes.ts',
  'src/main.ts',
  'src/cli/**',
  'src/logging/**',
  'src/metrics/metrics.ts',
];
/** The store: connections, migrations, the schema; the only modules that may load a driver. */
const STORE = ['src/store/**'];
/** Query modules: SQL in, rows (or undefined, false, counts) out; no rules, no HTTP errors. */
const QUERY = [
  'src/**/repository.ts',
  'src/vpcep/shared/locks.ts',
  'src/vpcep/shared/usage.ts',
  'src/vpcep/shared/tag-rows.ts',
  'src/vpcep/tags/resources.ts',
  'src/vpcep/endpoints/dataplane.ts',
  'src/jobs/claim.ts',
  'src/jobs/queue.ts',
  'src/identity/shared/generation.ts',
  'src/vpc/network-inventory.ts',
];
// Domain: every other module under src/.

/** What a query module may import besides packages: the store, other query modules, pure helpers. */
const QUERY_IMPORTS = [
  'repository',
  'locks',
  'usage',
  'tag-rows',
  'resources',
  'dataplane',
  'claim',
  'queue',
  'pagination',
  'json',
  'in-chunks',
  'cidr',
];

const noTestCode = {
  regex: '(^|/)test/',
  message: 'src/ never imports test code: fixtures live in test/ (docs/design/architecture.md).',
};
const noDrivers = {
  regex: '^(pg|pg-[\\w-]+|better-sqlite3)(/|$)',
  message: 'Only src/store/ loads a database driver; take a Kysely handle instead.',
};
const noFastify = {
  regex: '^(fastify|fastify-[\\w-]+|@fastify/.*)$',
  message: 'Domain and query modules do not know fastify (not even its types): the API layer adapts.',
};
const noApi = {
  regex: '(^|/)api/|(^|/)([\\w-]+-)?routes\\.ts$',
  message: 'The API layer calls the domain, never the other way round.',
};
const noDomain = {
  // Any relative import but these; test code, the API and api-error.ts are left
  // to their own rules, so each offence is reported once, with its reason.
  regex: `^\\.\\.?/(?!(.*/)?(store|test|api)/)(?!(.*/)?(${[...QUERY_IMPORTS, 'api-error', '([\\w-]+-)?routes'].join('|')})\\.ts$)`,
  // Types may flow down (a row shape named by the domain); code may not.
  allowTypeImports: true,
  message:
    'A query module imports only the store, other query modules and pure helpers (QUERY_IMPORTS in eslint.config.js).',
};
const noHttpErrors = {
  regex: '(^|/)errors/api-error\\.ts$',
  message: 'Query modules return data (undefined, false, rows); the domain throws the catalog errors.',
};

/** One config object per layer, so each file gets exactly one set of restrictions. */
function layer(files, ignores, ...restrictions) {
  return {
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: restrictions }] },
  };
}

const layers = [
  layer(STORE, [], noTestCode, noHttpErrors),
  layer(EDGE, STORE, noTestCode, noDrivers),
  layer(QUERY, [...STORE, ...EDGE], noTestCode, noDrivers, noFastify, noApi, noDomain, noHttpErrors),
  layer(['src/**/*.ts'], [...STORE, ...EDGE, ...QUERY], noTestCode, noDrivers, noFastify, noApi),
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.vpcep/**', 'coverage/**', 'bin/**', 'dist/**', '.dist-build-*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  ...layers,
  {
    files: ['eslint.config.js', 'scripts/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Test fixtures that node runs without a loader (started many times, so cheap to start).
    files: ['test/**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
