import { describe, expect, it } from 'vitest';
import { isMachineAddress, isMailSystem } from '../../../src/domain/mail.ts';

/** One rule for "no person reads this address", used by the reader and by the processor alike. */
describe('addresses no person reads', () => {
  it.each(['MAILER-DAEMON@mx.example.org', 'postmaster@example.net', 'bounces+x@lists.example.org', 'double-bounce@mx.example.com'])('%s is a mail system', (a) => {
    expect(isMailSystem(a)).toBe(true);
    expect(isMachineAddress(a)).toBe(true);
  });
  it.each(['no-reply@forms.example.net', 'no_reply@web.example.org', 'no.reply@web.example.org', 'noreply@x.example.com', 'donotreply@x.example.com', 'notifications@crm.example.com'])('%s sends notices and reads no answer', (a) => {
    expect(isMachineAddress(a)).toBe(true);
    expect(isMailSystem(a)).toBe(false);
  });
  it.each(['arta@cso.example.net', 'info@ngo.example.org', 'nora@example.org', 'postman@example.org'])('%s is read by a person', (a) => {
    expect(isMachineAddress(a)).toBe(false);
  });
});
