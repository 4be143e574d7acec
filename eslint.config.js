// ESLint flat config. typescript-eslint's recommended rules, not the type-checked set, so that
// `npm run lint` stays fast; plus the local `breakwater/layering` rule (tools/eslint/layering.js),
// which enforces the component layering of shared/design/ARCHITECTURE.md.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import breakwater from './tools/eslint/layering.js';

const root = import.meta.dirname;

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', 'src/web/dist/']),

  {
    name: 'breakwater/typescript',
    files: [
      'src/**/*.{ts,tsx}',
      'test/**/*.ts',
      'bench/**/*.{js,ts}',
      'tools/**/*.{js,ts}',
      '*.{js,ts}', // eslint.config.js, vitest.config.ts
    ],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  {
    name: 'breakwater/layering',
    files: ['src/**/*.{ts,tsx}'],
    plugins: { breakwater },
    rules: {
      'breakwater/layering': ['error', { root }],
    },
  },

  {
    // Unit tests of lang and protocol may read golden files with node:fs: lift only the Node
    // built-in ban for them; the component rules still apply.
    name: 'breakwater/layering-tests',
    files: ['src/**/*.test.{ts,tsx}'],
    rules: {
      'breakwater/layering': ['error', { root, allowNodeBuiltins: true }],
    },
  },
);
