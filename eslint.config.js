// Lint enforces the folder table of DESIGN.md section 1: who may import whom, and which
// runtime APIs each folder may touch.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'worker_threads', 'stream', 'url', 'util', 'buffer', 'zlib', 'events'];

const forbid = (groups, message) => ({ group: groups, message });

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.es2023 } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid(['**/server/**', '**/main/**', '**/renderer/**', '**/test/**', '**/bench/**'], 'shared/ imports nothing from the other folders (DESIGN.md section 1).'),
            forbid(nodeBuiltins, 'shared/ runs everywhere: no Node-only APIs.'),
            forbid(['electron', 'react', 'react-dom', 'dexie', 'pg', '@electric-sql/*', 'stripe'], 'shared/ is runtime-neutral domain code.'),
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require', 'localStorage', 'indexedDB', '__dirname'],
    },
  },
  {
    files: ['server/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(['**/main/**', '**/renderer/**', '**/test/**', '**/bench/**', 'electron'], 'server/ may import only shared/ (DESIGN.md section 1).')] }],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**', 'main/electron*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(['**/server/**', '**/renderer/**', '**/test/**', '**/bench/**'], 'main/ may import only shared/.'), forbid(['electron'], 'Only main/electron* may import electron.')] }],
    },
  },
  {
    files: ['main/electron/**/*.ts', 'main/electron*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(['**/server/**', '**/renderer/**', '**/test/**', '**/bench/**'], 'main/ may import only shared/.')] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(['**/server/**', '**/main/**', '**/test/**', '**/bench/**'], 'renderer/ may import only shared/; it talks to main through window.easel.'), forbid([...nodeBuiltins, 'electron'], 'renderer/ runs in the sandboxed window: no Node or Electron APIs.')] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{ts,mjs}', '*.{js,ts,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
