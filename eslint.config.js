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
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // The admin page's modules run in the browser (cli/admin/page/), not in Node.
  { files: ['cli/admin/page/**/*.js'], languageOptions: { globals: globals.browser } },
);
