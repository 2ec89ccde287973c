import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LANGS, TEMPLATE_NAMES, type TemplateName } from '../../../src/contracts/mail-catalog.ts';
import { checkTemplates, DEFAULT_TEMPLATES_DIR, HandlebarsTemplates, TemplateError } from '../../../src/adapters/templates/handlebars.ts';
import { sampleVars } from './samples.ts';

const globals = { coalitionName: 'Koalicioni i OShC-ve për OGP – Shqipëri', coalitionAddress: 'info@example.org' };
const templates = HandlebarsTemplates.load(globals);

const temps: string[] = [];
function copyTemplates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
  temps.push(dir);
  cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
  return dir;
}
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the templates as shipped', () => {
  it('pass the boot check: every variable they use is one the code passes', () => {
    expect(checkTemplates().problems).toEqual([]);
  });

  it('exist with the same files in Albanian and English', () => {
    const { files } = checkTemplates();
    expect(files.sq).toEqual(files.en);
    expect(files.sq.length).toBe(TEMPLATE_NAMES.length * 3 + 4);
  });

  it('use the same placeholders in Albanian and English (each language picking its own side of an explanation)', () => {
    const { refs } = checkTemplates();
    // {{problem.sq}} in Albanian pairs with {{problem.en}} in English.
    const same = (lang: 'sq' | 'en', names: Iterable<string>) => [...names].map((n) => n.replace(new RegExp(`\\.${lang}(@|$)`), '.<lang>$1')).sort();
    for (const [file, sq] of refs.sq) expect(same('en', refs.en.get(file) ?? []), file).toEqual(same('sq', sq));
  });

  it('tells the coordinators whether a rejection\'s reason was shared with the organisation', () => {
    const base = { reference: 'REQ-7F3K2', organizationName: 'Qendra X', decision: 'reject' as const, by: 'ana@example.org', reason: 'jashtë fushës' };
    expect(templates.render('decision_echo', 'sq', { ...base, reasonShared: true }).text).toContain('Arsyeja i dërgohet edhe organizatës.');
    expect(templates.render('decision_echo', 'sq', { ...base, reasonShared: false }).text).toContain('organizata nuk e sheh');
    expect(templates.render('decision_echo', 'en', { ...base, reasonShared: false }).html).toContain('the organisation does not see it');
  });

  it('shows an explanation in the language of the mail', () => {
    const vars = { reference: 'REQ-7F3K2', problem: { sq: 'shpjegim shqip', en: 'english explanation' } };
    expect(templates.render('reply_help', 'sq', vars).text).toContain('shpjegim shqip');
    expect(templates.render('reply_help', 'sq', vars).text).not.toContain('english explanation');
    expect(templates.render('reply_help', 'en', vars).text).toContain('english explanation');
  });

  it.each(TEMPLATE_NAMES.flatMap((n) => [...LANGS, 'both' as const].map((l) => [n, l] as const)))('renders %s in %s with subject, text and HTML', (name, lang) => {
    const vars = sampleVars()[name];
    const r = templates.render(name, lang, vars as never);
    expect(r.subject.length).toBeGreaterThan(5);
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.text).toContain('info@example.org');
    expect(r.html).toMatch(/^<!doctype html>/);
    expect(r.html).toContain('<a href="mailto:info@example.org">');
    expect(`${r.subject}${r.text}${r.html}`).not.toMatch(/undefined|\[object Object\]|\{\{/);
  });

  it('writes Albanian with its diacritics and the glossary words', () => {
    const all = TEMPLATE_NAMES.map((n) => templates.render(n, 'sq', sampleVars()[n] as never));
    for (const r of all) expect(r.text).toMatch(/[ëç]/);
    const text = all.map((r) => `${r.subject}\n${r.text}`).join('\n');
    for (const word of ['Deklarata e Përbashkët', 'Kërkesë për miratim', 'Konfirmim marrjeje', 'u miratua', 'nënshkrues', 'në pritje', 'Koalicioni i OShC-ve për OGP – Shqipëri']) {
      expect(text).toContain(word);
    }
    expect(text).toMatch(/kërkes[eë]n? [^\n]{0,20}për anëtarësim/);
  });

  it('puts Albanian first and English second in a bilingual mail', () => {
    const r = templates.render('approved', 'both', sampleVars().approved);
    expect(r.subject).toBe('Kërkesa juaj për anëtarësim u miratua [REQ-7F3K2] / Your join request has been approved [REQ-7F3K2]');
    expect(r.text.indexOf('Mirë se vini')).toBeLessThan(r.text.indexOf('Welcome'));
    expect(r.html.indexOf('<div lang="sq">')).toBeLessThan(r.html.indexOf('<div lang="en">'));
  });

  it('tells coordinators every reply word, in both languages', () => {
    for (const lang of LANGS) {
      const { text } = templates.render('approval_request', lang, sampleVars().approval_request);
      for (const w of ['APPROVE', 'YES', 'OK', 'PO', 'MIRATOJ', 'REJECT', 'NO', 'JO', 'REFUZOJ', 'INFO', 'PYET', 'UNDO', 'ANULO', 'Emri:', 'Name:', 'Qyteti:', 'City:', 'Akronimi:', 'Acronym:']) {
        expect(text, `${lang}: ${w}`).toContain(w);
      }
    }
  });

  it('tells Albanian coordinators the Albanian words for an internal reason, and English ones the English', () => {
    // The reply parser accepts both "(internal)" and "(e brendshme)".
    expect(templates.render('approval_request', 'sq', sampleVars().approval_request).text).toContain('REFUZOJ (e brendshme): arsyeja');
    expect(templates.render('approval_request', 'en', sampleVars().approval_request).text).toContain('REJECT (internal): reason');
  });

  it('speaks of the statement attachments in the plural: the text and the HTML file', () => {
    const r = templates.render('statement_update', 'sq', sampleVars().statement_update);
    expect(r.text).toContain('në skedarët e bashkëngjitur');
    expect(r.html).toContain('në skedarët e bashkëngjitur');
    expect(templates.render('statement_update', 'en', sampleVars().statement_update).text).toContain('in the attached files');
  });

  it('shares a rejection reason only when one is given', () => {
    expect(templates.render('rejected', 'en', { reference: 'R', organizationName: 'X', reason: null }).text).not.toContain('Reason:');
    expect(templates.render('rejected', 'en', { reference: 'R', organizationName: 'X', reason: 'Not a CSO' }).text).toContain('Reason: Not a CSO');
  });
});

describe('user data in templates', () => {
  const evil = '<script>alert(1)</script>';

  it('never becomes live HTML', () => {
    for (const name of TEMPLATE_NAMES) {
      for (const lang of ['sq', 'en', 'both'] as const) {
        const r = templates.render(name, lang, sampleVars(evil)[name] as never);
        expect(r.html, `${name}/${lang}`).not.toContain('<script');
        if (r.text.includes(evil) && name !== 'statement_update') expect(r.html, name).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      }
    }
  });

  it('can never break a subject line into a new header', () => {
    const r = templates.render('already_signatory', 'en', { organizationName: 'Acme\r\nBcc: victim@example.org', position: 1 });
    expect(r.subject).toBe('Acme Bcc: victim@example.org already signs the Joint Statement');
  });

  it('is checked against the catalog when rendered', () => {
    expect(() => templates.render('approved', 'sq', { reference: 'R', organizationName: 'X', position: 0, version: 2 })).toThrow(TemplateError);
    expect(() => templates.render('statement_update', 'sq', { ...sampleVars().statement_update, statementHtml: '<b>raw</b>' as never })).toThrow(/TrustedHtml/);
  });
});

describe('a broken template stops the service at start-up', () => {
  function brokenWith(file: string, content: string | null): string[] {
    const dir = copyTemplates();
    if (content === null) unlinkSync(join(dir, file));
    else writeFileSync(join(dir, file), content);
    try {
      HandlebarsTemplates.load({ ...globals, dir });
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      return (err as TemplateError).problems;
    }
    return [];
  }

  it('when a template uses a variable the code does not pass', () => {
    const src = readFileSync(join(DEFAULT_TEMPLATES_DIR, 'en/approved.txt'), 'utf8');
    expect(brokenWith('en/approved.txt', `${src}\n{{organisationName}}`)).toEqual([expect.stringContaining('unknown variable "organisationName"')]);
  });

  it('when a nested field is misspelt, inside a block or a partial', () => {
    expect(brokenWith('sq/approval_request.txt', '{{organization.nmae}}')).toEqual([expect.stringContaining('"organization.nmae"')]);
    expect(brokenWith('en/request_updated.txt', '{{#each changes}}{{feild}}{{/each}}')).toEqual([expect.stringContaining('"feild"')]);
    // _reply_words is shared: a variable only some mails have is caught in the others.
    const problems = brokenWith('sq/_reply_words.txt', '{{undoWindow}}');
    expect(problems).toEqual([
      expect.stringMatching(/_reply_words\.txt \(from sq\/reminder\.txt\):1: unknown variable "undoWindow"/),
      expect.stringMatching(/_reply_words\.txt \(from sq\/reply_help\.txt\):1: unknown variable "undoWindow"/),
    ]);
  });

  it('when a template writes unescaped HTML with a triple-stash', () => {
    expect(brokenWith('en/expired.html', '<p>{{{organizationName}}}</p>')).toEqual([expect.stringContaining('triple-stash')]);
  });

  it('when a language lacks a file or has one the catalog does not know', () => {
    expect(brokenWith('en/reminder.html', null)).toEqual(['en/reminder.html is missing']);
    expect(brokenWith('sq/welcome.txt', 'hi')).toEqual([expect.stringContaining('no such mail in the catalog')]);
  });

  it('when a template calls an unknown helper', () => {
    expect(brokenWith('en/expired.txt', '{{lookup organizationName "x"}}')).toEqual([expect.stringContaining('unknown helper "lookup"')]);
  });
});

export type { TemplateName };
