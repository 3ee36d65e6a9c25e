// Layering is enforced here, as errors: each folder may import only what its
// name promises (see README "Layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noNode = { group: nodeBuiltins, message: 'Node built-ins are not available here.' };
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only src-main/app imports electron.',
};
const noMain = {
  group: ['**/src-main/**', '**/src-main'],
  message: 'Talk to the main side only through src-shared.',
};
const noRenderer = {
  group: ['**/src-renderer/**'],
  message: 'The renderer is not importable from here.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-renderer/**',
      'release/**',
      'node_modules/**',
      'e2e/artifacts/**',
      'examples/**',
      '.dusty-*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            noElectron,
            noMain,
            noRenderer,
            { group: ['dockerode', 'ws'], message: 'src-shared runs in the renderer too.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            noElectron,
            noMain,
            {
              group: ['dockerode', 'ws'],
              message: 'The renderer talks through the src-shared contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/**'],
    ignores: ['src-main/app/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noRenderer] }] },
  },
  {
    files: ['src-main/app/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            noRenderer,
            {
              group: ['**/engine/**', '**/helper/**', '**/cli/**', '**/web/**'],
              message: 'The preload exposes the src-shared contract only.',
            },
          ],
        },
      ],
    },
  },
);
