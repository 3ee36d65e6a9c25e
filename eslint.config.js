// Layering is enforced here, as errors: each folder may import only what its
// name promises (see README "Layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

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

/** Forbids a src-main folder to import the named sibling folders (layers above it). */
function layer(files, above, electronBanned = true) {
  return [
    {
      files: [files],
      ignores: ['src-main/app/preload/**'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...(electronBanned ? [noElectron] : []),
              noRenderer,
              {
                group: above.flatMap((f) => [`../${f}/**`, `../../${f}/**`, `../../../${f}/**`]),
                message: `${files.split('/')[1]} is below ${above.join(', ')} (README "Layout").`,
              },
            ],
          },
        ],
      },
    },
  ];
}

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
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Structure a newcomer can rely on: no import loops, no function over 100 lines.
  {
    files: ['src-main/**', 'src-shared/**', 'src-renderer/**'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.test.json', 'src-renderer/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'max-lines-per-function': ['error', { max: 100 }],
    },
  },
  // A spec's describe() callback is a list of independent cases, not logic to
  // follow: it may be long. Each case is still read on its own.
  {
    files: ['**/*.spec.ts', '**/*.spec.tsx'],
    rules: { 'max-lines-per-function': 'off' },
  },
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
  // The layers inside src-main, lowest first: platform, then engine and the
  // root helper, then the application layer (service), then the front doors
  // (cli, web, app). A layer imports only the ones below it.
  ...layer('src-main/platform/**', ['engine', 'helper', 'service', 'cli', 'web', 'app']),
  ...layer('src-main/engine/**', ['helper', 'service', 'cli', 'web', 'app']),
  ...layer('src-main/helper/**', ['engine', 'service', 'cli', 'web', 'app']),
  ...layer('src-main/service/**', ['helper', 'cli', 'web', 'app']),
  ...layer('src-main/web/**', ['helper', 'cli', 'app']),
  ...layer('src-main/cli/**', ['app']),
  ...layer('src-main/app/**', ['cli', 'web'], false),
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
