import { describe, expect, it } from 'vitest';
import { DeskMetrics, mailKind } from '../../../src/adapters/http/metrics.ts';

describe('the kind of an outgoing mail, as /metrics labels it', () => {
  it('is the template of a mail about a request', () => {
    expect(mailKind('REQ-7F3K2.1.acknowledgement')).toBe('acknowledgement');
    expect(mailKind('REQ-7F3K2.2.approval_request.ana-at-example-org-1a2b')).toBe('approval_request');
    expect(mailKind('REQ-7F3K2.2.approval_request.ana-at-example-org-1a2b.again.again')).toBe('approval_request');
  });

  it('is statement_update for every announcement of a version, and what an inbound answer was', () => {
    expect(mailKind('statement.v2.list')).toBe('statement_update');
    expect(mailKind('statement.v3.sig.0123456789abcdef')).toBe('statement_update');
    expect(mailKind('in.0123456789abcdef01234567.reply_help')).toBe('reply_help');
    expect(mailKind('something-else')).toBe('other');
  });
});

describe('IMAP reconnects', () => {
  it('count every session after the first one', async () => {
    const m = new DeskMetrics({ requestsByStatus: async () => ({ pending: 2 }), queueDepths: async () => [] });
    m.connected();
    m.disconnected();
    m.connected();
    m.connected();
    const text = (await m.text()).body;
    expect(text).toMatch(/^coalition_imap_reconnects_total 2$/m);
    expect(text).toMatch(/^coalition_requests\{status="pending"\} 2$/m);
  });
});
