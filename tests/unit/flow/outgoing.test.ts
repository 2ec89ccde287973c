import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { toOutgoing } from '../../../src/app/flow.ts';
import type { Templates } from '../../../src/contracts/mail-catalog.ts';
import type { SendEffect } from '../../../src/domain/request.ts';
import { findTokenRefs, verifyToken } from '../../../src/domain/token.ts';

const SECRET = 'k'.repeat(64);
const config = loadConfig(
  {
    COALITION_ADDRESS: 'info@example.org',
    COORDINATORS: 'ana@coord.example.org,besa@coord.example.org',
    BILINGUAL: 'false',
  },
  '/nonexistent/.env',
);
const rendered: { name: string; lang: string }[] = [];
const templates: Templates = {
  render(name, lang) {
    rendered.push({ name, lang });
    return { subject: `s:${name}`, text: 't', html: '<p>h</p>' };
  },
};
const effect = (o: Partial<SendEffect>): SendEffect => ({
  type: 'send',
  key: 'REQ-7F3K2.2.approval_request.ana-coord-example-org',
  template: 'approval_request',
  to: ['ana@coord.example.org'],
  audience: 'coordinators',
  vars: {},
  inReplyTo: null,
  references: [],
  autoSubmitted: 'auto-generated',
  token: { coordinator: 'ana@coord.example.org', nonce: 'm2' },
  attachOriginal: true,
  ...o,
});

describe('the mails the flow sends', () => {
  it("put the coordinator's own token in the approval request's Message-ID and attach the original", () => {
    const m = toOutgoing(
      { config, templates, secret: SECRET },
      'REQ-7F3K2',
      'en',
      effect({}),
      {},
      Buffer.from('From: x\r\n\r\nhi'),
    );
    expect(m.id).toBe('REQ-7F3K2.2.approval_request.ana-coord-example-org');
    const [ref] = findTokenRefs(`<${m.messageIdLocal}@example.org>`, []);
    expect(ref && verifyToken(SECRET, ref, 'REQ-7F3K2', 'ana@coord.example.org')).toBe(true);
    expect(ref && verifyToken(SECRET, ref, 'REQ-7F3K2', 'besa@coord.example.org')).toBe(false);
    expect(m.attachments?.[0]).toMatchObject({ contentType: 'message/rfc822', encoding: 'base64' });
    expect(rendered.at(-1)).toEqual({ name: 'approval_request', lang: 'sq' }); // coordinators: DEFAULT_LANGUAGE
  });
  it('answer the organisation in its language, in its thread, without a token', () => {
    const m = toOutgoing(
      { config, templates, secret: SECRET },
      'REQ-7F3K2',
      'en',
      effect({
        template: 'acknowledgement',
        audience: 'org',
        token: null,
        attachOriginal: false,
        inReplyTo: '<orig@cso.example.net>',
        references: ['<orig@cso.example.net>', 'not a message id'],
        autoSubmitted: 'auto-replied',
      }),
    );
    // No approval token; a tag that proves a reply comes from the address this mail went to.
    expect(m.messageIdLocal).toMatch(/^REQ-7F3K2\.[A-Za-z0-9._-]+\.o[a-f0-9]{32}$/);
    expect(m.messageIdLocal).not.toMatch(/^appr\./);
    expect(m.inReplyTo).toBe('<orig@cso.example.net>');
    expect(m.references).toEqual(['<orig@cso.example.net>']);
    expect(m.autoSubmitted).toBe('auto-replied');
    expect(rendered.at(-1)).toEqual({ name: 'acknowledgement', lang: 'en' });
  });
});
