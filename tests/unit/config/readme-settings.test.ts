import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingNames } from '../../../scripts/settings-table.ts';

/** The README's settings table and the schema name the same settings (`npm run settings:table` prints the schema's). */
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
const tableRows = section.split('\n').filter((l) => l.startsWith('| `'));
const documented = new Set(tableRows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));

describe("the README's settings table", () => {
  it('documents every setting the schema reads', () => {
    expect(settingNames().filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents no setting the schema does not read', () => {
    const known = new Set(settingNames());
    expect([...documented].filter((k) => !known.has(k))).toEqual([]);
  });
});
