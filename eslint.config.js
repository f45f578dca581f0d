// Lint enforces the folder table of docs/architecture.md §1: who may import whom, and which
// runtime APIs each folder may touch.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const folders = ['server', 'main', 'renderer', 'test', 'bench'];
const others = (...allowed) => folders.filter((f) => !allowed.includes(f)).map((f) => `**/${f}/**`);

// Exact module names: a pattern like "crypto" would also match our own shared/crypto folder.
const nodeBuiltins = (message) =>
  builtinModules.flatMap((name) => [
    { name, message },
    { name: `node:${name}`, message },
  ]);

const restrict = ({ groups = [], paths = [] }) => [
  'error',
  { patterns: groups.map(([group, message]) => ({ group, message })), paths },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'out/**',
      'coverage/**',
      'renderer/dist/**',
      '.scratch*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.es2023 } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        groups: [
          [others(), 'shared/ imports nothing from the other folders (docs/architecture.md §1).'],
          [
            [
              'electron',
              'react',
              'react-dom',
              'dexie',
              'pg',
              '@electric-sql/*',
              'stripe',
              'sharp',
              'fastify',
            ],
            'shared/ is runtime-neutral domain code.',
          ],
        ],
        paths: nodeBuiltins('shared/ runs everywhere: no Node-only APIs.'),
      }),
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'process',
        'Buffer',
        'require',
        'localStorage',
        'indexedDB',
        '__dirname',
      ],
    },
  },
  {
    files: ['server/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': restrict({
        groups: [
          [[...others(), 'electron'], 'server/ may import only shared/ (docs/architecture.md §1).'],
        ],
      }),
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**', 'main/electron*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': restrict({
        groups: [
          [others(), 'main/ may import only shared/.'],
          [
            ['electron'],
            'Only main/electron* may import electron (the rest runs without the binary).',
          ],
        ],
      }),
    },
  },
  {
    files: ['main/electron/**/*.ts', 'main/electron*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': restrict({ groups: [[others(), 'main/ may import only shared/.']] }),
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict({
        groups: [
          [others(), 'renderer/ may import only shared/; it talks to main through window.easel.'],
          [['electron'], 'renderer/ runs in the sandboxed window: no Electron APIs.'],
        ],
        paths: nodeBuiltins('renderer/ runs in the sandboxed window: no Node APIs.'),
      }),
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{ts,mjs}', '*.{js,ts,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Tests and benchmarks may assert presence with `!`; production code narrows instead.
    files: [
      '**/*.test.ts',
      '**/*.test.tsx',
      'test/**/*.ts',
      'bench/**/*.ts',
      'shared/testing/**',
      'shared/pricing/fixtures/**',
    ],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
