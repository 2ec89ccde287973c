/**
 * npm run settings:table — the settings the schema reads, as the first two columns of the
 * README's table (variable, default), for a person updating the README. The README keeps the
 * third column (what a setting means); tests/unit/config/readme-settings.test.ts fails when the
 * table and the schema drift apart.
 */
import { ConfigSchema, FILE_SECRETS } from '../config/schema.ts';

/** The default the schema gives a setting, as the README writes it; '–' when there is none. */
export function schemaDefault(key: string): string {
  const field = (ConfigSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[key];
  const r = field?.safeParse(undefined);
  if (!r?.success || r.data === undefined) return '–';
  return Array.isArray(r.data) ? (r.data.length ? r.data.join(',') : '–') : String(r.data);
}

/** Every variable a deployment may set: the schema's keys and the *_FILE form of each secret. */
export function settingNames(): string[] {
  return [...Object.keys(ConfigSchema.shape), ...FILE_SECRETS.map((k) => `${k}_FILE`)].sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = ['| variable | default | meaning |', '| --- | --- | --- |', ...settingNames().map((k) => `| \`${k}\` | ${schemaDefault(k)} |  |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}
