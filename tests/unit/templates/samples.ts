import type { TemplateName, TemplateVars } from '../../../src/app/mail-catalog.ts';
import { html } from '../../../src/domain/trusted-html.ts';

/** What the flow passes for each mail: one sample per catalog entry (the compiler insists on all of them). */
export function sampleVars(org = 'Partners Albania'): { [N in TemplateName]: TemplateVars<N> } {
  const contact = { name: 'Ana Hoxha', email: 'ana@cso.example.net', phone: '+355 69 000 0000' };
  return {
    acknowledgement: { reference: 'REQ-7F3K2', organizationName: org, contactName: 'Ana Hoxha', missing: ['qyteti', 'faqja e internetit'] },
    approval_request: {
      reference: 'REQ-7F3K2',
      coordinatorAddress: 'ana@coord.example.org',
      organization: { name: org, acronym: 'PA', city: 'Tiranë', website: 'https://partners.example.org' },
      contact,
      language: 'sq',
      receivedAt: new Date('2025-03-12T13:05:00Z'),
      originalSubject: `Kërkesë për anëtarësim – ${org}`,
      excerpt: `Përshëndetje,\nDuam të nënshkruajmë Deklaratën e Përbashkët.\n${org}`,
      missing: ['city'],
      approvalsRequired: 2,
      undoWindow: '15 min',
    },
    withdrawal_approval_request: { reference: 'REQ-9W1TH', organizationName: org, contact, excerpt: 'Please remove us.', undoWindow: '15 min' },
    approved: { reference: 'REQ-7F3K2', organizationName: org, position: 10, version: 2 },
    rejected: { reference: 'REQ-7F3K2', organizationName: org, reason: 'Not a CSO.' },
    already_signatory: { organizationName: org, position: 3 },
    already_pending: { reference: 'REQ-7F3K2', organizationName: org },
    withdrawal_received: { reference: 'REQ-9W1TH', organizationName: org },
    withdrawal_confirmed: { organizationName: org, version: 3 },
    reminder: { reference: 'REQ-7F3K2', organizationName: org, pendingSince: '2025-03-12T13:05:00Z', pendingDays: 3 },
    statement_update: {
      version: 2,
      date: new Date('2025-03-15T09:00:00Z'),
      change: { type: 'joined', organizationName: org, approvedBy: ['ana@coord.example.org'] },
      signatoryCount: 10,
      statementText: `JOINT STATEMENT\n\n10. ${org}\n`,
      statementHtml: html`<ol><li>${org}</li></ol>`,
    },
    decision_echo: {
      reference: 'REQ-7F3K2',
      organizationName: org,
      decision: 'approve',
      by: 'ana@coord.example.org',
      reason: null,
      undoDeadline: new Date('2025-03-15T09:15:00Z'),
      approvalsSoFar: 1,
      approvalsRequired: 1,
    },
    reply_help: { reference: 'REQ-7F3K2', problem: { sq: 'Rreshti i parë ishte "ndoshta".', en: 'The first line was "maybe".' } },
    already_decided: { reference: 'REQ-7F3K2', organizationName: org, decision: 'approved', by: 'ana@coord.example.org', at: '2025-03-15T09:00:00Z' },
    info_request: { reference: 'REQ-7F3K2', organizationName: org, question: 'Where are you registered?' },
    request_updated: { reference: 'REQ-7F3K2', organizationName: org, changes: [{ field: 'City', value: 'Shkodër' }] },
    unauthenticated_attempt: { reference: 'REQ-7F3K2', from: 'mallory@evil.example', reason: { sq: 'asnjë token i vlefshëm', en: 'no valid token' } },
    expired: { reference: 'REQ-7F3K2', organizationName: org },
    undone: { reference: 'REQ-7F3K2', organizationName: org, by: 'besa@coord.example.org' },
    other_forward: { from: 'someone@example.net', subject: `Pyetje – ${org}`, excerpt: `Hello from ${org}` },
  };
}
