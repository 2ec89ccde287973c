// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.sandbox/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // One direction of dependency (ARCHITECTURE.md): domain ← contracts ← app (its ports) ← adapters are
  // handed to app by the composition root (src/cli/service.ts, workers/*). Each folder names what it may not import.
  {
    // The domain is pure: no mail, queue, Redis or network library may enter it, nor any other part.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['imapflow', 'mailparser', 'nodemailer', 'bullmq', 'ioredis', 'smtp-server', 'mailauth', 'node:net', 'node:fs', 'node:fs/promises', 'node:child_process', 'pino'].map(
            (name) => ({ name, message: 'src/domain is pure: do I/O in src/adapters.' }),
          ),
          patterns: [
            { group: ['**/app/*', '**/app'], message: 'src/domain imports no use case (src/app).' },
            { group: ['**/adapters/**'], message: 'src/domain imports no adapter: do I/O in src/adapters.' },
            { group: ['**/contracts/**'], message: 'src/contracts builds on src/domain, not the other way round.' },
            { group: ['**/cli/**', '**/workers/**', '**/devstack/**'], message: 'src/domain imports nothing outside itself.' },
          ],
        },
      ],
    },
  },
  {
    // The contracts (jobs, queue names, mail schema, mail catalog) are a leaf: pure data over the domain.
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/app/*', '**/app', '**/adapters/**', '**/cli/**', '**/workers/**', '**/devstack/**'], message: 'src/contracts imports only src/domain.' },
          ],
        },
      ],
    },
  },
  {
    // The use cases see their ports (src/app/ports.ts); the composition root hands them the adapters.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['imapflow', 'mailparser', 'nodemailer', 'bullmq', 'ioredis', 'smtp-server', 'mailauth', 'pino'].map((name) => ({
            name,
            message: 'src/app sees ports (src/app/ports.ts); the library belongs in an adapter.',
          })),
          patterns: [
            { group: ['**/adapters/**'], message: 'src/app imports no adapter: add a port to src/app/ports.ts and wire it in workers/ports.ts.' },
            { group: ['**/cli/**', '**/workers/**', '**/devstack/**'], message: 'src/app imports no composition root.' },
          ],
        },
      ],
    },
  },
  {
    // Adapters implement ports and contracts; they never call a use case.
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/app/*', '**/app'], message: 'src/adapters imports no use case: shared shapes live in src/contracts.' },
            { group: ['**/cli/**', '**/workers/**', '**/devstack/**'], message: 'src/adapters imports no composition root.' },
          ],
        },
      ],
    },
  },
);
