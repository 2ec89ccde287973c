import { afterEach, describe, expect, it } from 'vitest';
import { HandlebarsTemplates } from '../../../src/adapters/templates/handlebars.ts';
import { formatWhen, setMailTimeZone } from '../../../src/contracts/mail-catalog.ts';
import { sampleVars } from './samples.ts';

/** The small things in mails that a coordinator reading them noticed (issue 9). */

const templates = HandlebarsTemplates.load({ coalitionName: 'Koalicioni', coalitionAddress: 'info@example.org' });
const vars = sampleVars();

afterEach(() => setMailTimeZone('Europe/Tirane'));

describe('times in mails', () => {
  it('say their time zone: Tirana by default, with its offset in winter and in summer', () => {
    expect(formatWhen(new Date('2026-12-01T20:00:00Z'))).toBe('2026-12-01 21:00 (UTC+1)');
    expect(formatWhen(new Date('2026-07-01T20:00:00Z'))).toBe('2026-07-01 22:00 (UTC+2)');
    const mail = templates.render('approval_request', 'sq', vars.approval_request);
    expect(mail.text).toContain('Marrë më: 2025-03-12 14:05 (UTC+1)');
  });

  it('follow TIME_ZONE', () => {
    setMailTimeZone('UTC');
    expect(formatWhen(new Date('2026-12-01T20:00:00Z'))).toBe('2026-12-01 20:00 (UTC)');
    setMailTimeZone('America/New_York');
    expect(formatWhen('2026-12-01T20:00:00.000Z')).toBe('2026-12-01 15:00 (UTC-5)');
  });
});

describe('the language of the message', () => {
  it('is named in words in the mail’s own language', () => {
    const sq = templates.render('approval_request', 'sq', { ...vars.approval_request, language: 'sq' });
    expect(sq.text).toContain('Gjuha e mesazhit: shqip');
    expect(sq.html).toContain('Gjuha e mesazhit: shqip');
    const en = templates.render('approval_request', 'en', { ...vars.approval_request, language: 'sq' });
    expect(en.text).toContain('Language of the message: Albanian');
    const possible = templates.render('possible_request', 'sq', { ...vars.possible_request, language: 'en' });
    expect(possible.text).toContain('Gjuha e mesazhit: anglisht');
    expect(templates.render('possible_request', 'en', vars.possible_request).html).toContain('Language of the message: English');
  });
});

describe('the approval request', () => {
  it('says that the token in the mail’s Message-ID, not the subject’s reference, shows the reply is the coordinator’s', () => {
    for (const lang of ['sq', 'en'] as const) {
      const mail = templates.render('approval_request', lang, vars.approval_request);
      for (const part of [mail.text, mail.html]) {
        expect(part).not.toMatch(/subjekti: ajo vërteton|subject: it proves/);
        expect(part).toContain('Message-ID');
      }
    }
  });
});

describe('the rejection mail to the organisation', () => {
  it('says in its subject that a decision was made', () => {
    expect(templates.render('rejected', 'sq', vars.rejected).subject).toBe('Kërkesa juaj për anëtarësim nuk u miratua [REQ-7F3K2]');
    expect(templates.render('rejected', 'en', vars.rejected).subject).toBe('Your join request was not approved [REQ-7F3K2]');
  });
});
