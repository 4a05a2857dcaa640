// Lint with type information: `npm run lint` also runs `tsc --noEmit`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layers } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // node:test's describe/test return promises the runner awaits itself; assert.* are plain functions.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
  ...layers,
  {
    // Every Redis connection Parley opens comes from lib/redis.ts, so that Sentinel, Cluster and BullMQ's options
    // reach all of them (docs/architecture.md#redis). Tests may open their own.
    files: ['**/*.ts'],
    ignores: ['lib/redis.ts', 'test/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'NewExpression[callee.name=/^(Redis|Cluster|IORedis)$/]',
          'NewExpression[callee.property.name=/^(Redis|Cluster)$/]',
          "ImportDeclaration[source.value='ioredis'][importKind='value'] > ImportSpecifier[importKind='value'][imported.name=/^(Redis|Cluster|default)$/]",
          "ImportDeclaration[source.value='ioredis'][importKind='value'] > ImportDefaultSpecifier",
        ].map((selector) => ({ selector, message: 'Open Redis through redisConnection() in lib/redis.ts (import only types from ioredis elsewhere).' })),
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // The admin page's modules run in the browser (cli/admin/page/), not in Node.
  { files: ['cli/admin/page/**/*.js'], languageOptions: { globals: globals.browser } },
);
