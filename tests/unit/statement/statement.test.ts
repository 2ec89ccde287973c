import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES_DIR } from '../../../src/adapters/templates/handlebars.ts';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import {
  applyJoin,
  applyLeave,
  foundingVersion,
  renderStatement,
  renderStatementHtml,
  StatementError,
  type JoinChange,
} from '../../../src/domain/statement.ts';

const { document, founding } = loadStatementSource();
const v1 = foundingVersion(founding, new Date('2025-01-01T00:00:00Z'));
const opts = { joinAddress: 'info@idmalbania.org' };
const join_ = (name: string, extra: Partial<JoinChange['signatory']> = {}, source = 'REQ-7F3K2'): JoinChange => ({
  signatory: { name, acronym: 'PA', city: 'Tirana', website: null, contactEmail: 'contact@cso.example.net', ...extra },
  approvedBy: ['ana@coord.example.org'],
  source,
  at: new Date('2025-03-15T09:00:00Z'),
});

describe('the founding statement', () => {
  it('is the coalition’s own text, kept in the project', () => {
    const copy = readFileSync(join(DEFAULT_TEMPLATES_DIR, 'statement/joint-statement.txt'), 'utf8');
    expect(copy).toContain('JOINT STATEMENT');
    expect(document.headings).toEqual(['CSOs Coalition on Open Government Partnership – Albania', 'JOINT STATEMENT']);
    expect(document.paragraphs).toHaveLength(10);
    expect(document.signedLabel).toBe('Signed:');
  });

  it('has nine founding signatories, each line as written', () => {
    expect(founding).toHaveLength(9);
    expect(founding.map((s) => s.line)).toEqual(document.foundingLines);
    expect(founding[0]).toMatchObject({ name: 'Institute for Democracy and Mediation', acronym: 'IDM', city: 'Tirana', source: 'founding' });
  });

  it('renders as Markdown as the original document, its closing line made valid bold', () => {
    const original = readFileSync(join(DEFAULT_TEMPLATES_DIR, 'statement/joint-statement.txt'), 'utf8').trim();
    const md = renderStatement(document, v1, 'md', opts);
    const [body, closing] = [original.slice(0, original.lastIndexOf('\n\n')), original.slice(original.lastIndexOf('\n\n') + 2)];
    expect(closing).toMatch(/^\*\*\* To join/);
    expect(md).toBe(`${body}\n\n**${closing.replace(/^\*\*\* /, '').replace(/\*\*$/, '')}**\n`);
    // Three asterisks and a space open no emphasis in CommonMark: the old line showed them.
    expect(md).not.toMatch(/\*\*\* /);
  });

  it('shows no asterisks of the closing line in text or HTML', () => {
    expect(renderStatement(document, v1, 'text', opts).split('\n\n').at(-1)).toMatch(/^To join the /);
    expect(renderStatement(document, v1, 'html', opts)).not.toContain('*');
  });

  it('renders as plain text with the signatories numbered as in the original', () => {
    const text = renderStatement(document, v1, 'text', opts);
    expect(text).toContain('\n\nSigned:\n\n1. Institute for Democracy and Mediation (IDM) – Tirana\n2. MJAFT! Movement\n');
    expect(text).toContain('9. Transparency International Albania\n');
    expect(text).toContain('Affirming our deep commitment to the objectives of');
    expect(text).not.toContain('**');
  });

  it('names the coalition mailbox in its invitation to join', () => {
    expect(renderStatement(document, v1, 'text', { joinAddress: 'info@example.org' })).toMatch(/please send an email at info@example\.org\.\n$/);
  });
});

describe('a new version', () => {
  it('adds a signatory as number ten', () => {
    const v2 = applyJoin(v1, join_('Partners Albania'));
    expect(v2.number).toBe(2);
    expect(v2.change).toMatchObject({ type: 'joined', approvedBy: ['ana@coord.example.org'], source: 'REQ-7F3K2' });
    const text = renderStatement(document, v2, 'text', opts);
    const numbers = [...text.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(text).toContain('10. Partners Albania (PA) – Tirana\n');
  });

  it('refuses an organisation that already signs, whatever its spelling', () => {
    expect(() => applyJoin(v1, join_('open data  ALBANIA', {}, 'REQ-X'))).toThrow(StatementError);
    const v2 = applyJoin(v1, join_('Qendra Ëndrra'));
    expect(() => applyJoin(v2, join_('QENDRA ENDRRA', {}, 'REQ-Y'))).toThrow(/already signatory 10/);
  });

  it('removes a signatory and renumbers the rest', () => {
    const v2 = applyLeave(v1, { signatoryId: 'founding-2', approvedBy: ['besa@coord.example.org'], source: 'REQ-W1', at: new Date() });
    expect(v2.signatories).toHaveLength(8);
    expect(v2.change.signatory?.name).toBe('MJAFT! Movement');
    expect(renderStatement(document, v2, 'text', opts)).toContain('2. Open Data Albania (ODA)\n');
    expect(() => applyLeave(v2, { signatoryId: 'founding-2', approvedBy: [], source: 'REQ-W2', at: new Date() })).toThrow(/no signatory/);
  });

  it('cleans control characters out of names', () => {
    const v2 = applyJoin(v1, join_('Acme\r\nBcc: victim@example.org', { acronym: null, city: null }));
    expect(v2.signatories.at(-1)?.name).toBe('Acme Bcc: victim@example.org');
  });
});

describe('a hostile organisation name', () => {
  const evil = '<script>alert(1)</script>';
  const v2 = applyJoin(v1, join_(evil, { acronym: '<b>', city: '"><img src=x onerror=alert(1)>' }));

  it('is text in the HTML statement, never markup', () => {
    for (const h of [renderStatementHtml(document, v2, opts).toHTML(), renderStatement(document, v2, 'html', opts)]) {
      expect(h).not.toMatch(/<script|<img|<b>/);
      expect(h).toContain('<li>&lt;script&gt;alert(1)&lt;/script&gt; (&lt;b&gt;) – &quot;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;</li>');
    }
  });

  it('is escaped in Markdown too', () => {
    const md = renderStatement(document, v2, 'md', opts);
    expect(md).toContain('10. \\<script\\>alert(1)\\</script\\> (\\<b\\>)');
  });

  it('keeps the original’s emphasis as <strong> in HTML', () => {
    expect(renderStatementHtml(document, v1, opts).toHTML()).toContain('to the <strong>objectives</strong> of the Open Government Partnership');
  });

  it('keeps the emphasis of the invitation to join around the address, with no Markdown asterisks left in HTML', () => {
    const out = renderStatementHtml(document, v1, opts).toHTML();
    expect(out).toContain(
      '<p><strong>To join the “CSOs Coalition on OGP Albania” and the Joint Statement please send an email at <a href="mailto:info@idmalbania.org">info@idmalbania.org</a>.</strong></p>',
    );
    expect(out).not.toContain('**');
    // The plain text says the same words.
    expect(renderStatement(document, v1, 'text', opts)).toContain('\n\nTo join the “CSOs Coalition on OGP Albania” and the Joint Statement please send an email at info@idmalbania.org.\n');
  });
});
