import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Plain JavaScript runs on Node; TypeScript files get Node's globals from @types/node.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', performance: 'readonly' } },
  },
  {
    // CommonJS configuration files (dependency-cruiser's).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['src/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'performance', property: 'now', message: "Use systemClock.now(): performance.now()'s first call loads perf_hooks, before a pod's first question." }],
    },
  },
  {
    files: ['bench/**', 'examples/**', 'harness/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
