import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'clients/typescript/src/generated/', 'bench/results/', 'bench/.build/', 'web/dist/', 'dist/', '.c360-data/', 'coverage/', '.tmp/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The pages never write to the browser console: it could end up holding personal data.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: { 'no-console': 'error' },
  },
);
