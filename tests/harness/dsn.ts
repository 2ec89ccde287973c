/**
 * Delivery status notifications as real mail systems write them (RFC 3464 /
 * RFC 6522), for the tests: Postfix's "Undelivered Mail Returned to Sender" with
 * the returned message or only its headers, a delay warning, and the shape of
 * reports that name the original only in X-Original-Message-ID.
 */

export interface DsnOptions {
  /** Who the DSN goes to: our envelope sender, the coalition mailbox. */
  to: string;
  /** The recipient that failed (Original-Recipient). */
  recipient: string;
  /** Final-Recipient, when delivery was tried elsewhere (a forward). */
  finalRecipient?: string;
  action?: 'failed' | 'delayed' | 'delivered';
  status?: string;
  diagnostic?: string;
  /** The returned mail (ours), whole or headers only; omitted: no returned part. */
  returned?: { raw: string | Buffer; headersOnly?: boolean };
  /** Put the original's Message-ID in an X-Original-Message-ID header instead. */
  xOriginalMessageId?: string;
  /** Thread the DSN to the original (In-Reply-To), as some mail systems do. */
  inReplyTo?: string;
  messageId?: string;
  reportingMta?: string;
}

let n = 0;

export function postfixDsn(o: DsnOptions): string {
  n += 1;
  const mta = o.reportingMta ?? 'mx.cso.example.net';
  const action = o.action ?? 'failed';
  const status = o.status ?? (action === 'delayed' ? '4.4.1' : '5.1.1');
  const diagnostic = o.diagnostic ?? (action === 'delayed' ? 'connect to mx.cso.example.net[192.0.2.25]:25: Connection timed out' : `smtp; 550 ${status} <${o.recipient}>: Recipient address rejected: User unknown in local recipient table`);
  const boundary = `B${n}.${Date.now()}/${mta}`;
  const returned = o.returned ? (Buffer.isBuffer(o.returned.raw) ? o.returned.raw.toString('utf8') : o.returned.raw) : null;
  const returnedPart = returned
    ? o.returned?.headersOnly
      ? ['Content-Description: Undelivered Message Headers', 'Content-Type: text/rfc822-headers', '', (returned.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r\n/g, '\n')]
      : ['Content-Description: Undelivered Message', 'Content-Type: message/rfc822', 'Content-Transfer-Encoding: 8bit', '', returned.replace(/\r\n/g, '\n')]
    : null;
  const human =
    action === 'delayed'
      ? [
          `This is the mail system at host ${mta}.`,
          '',
          '####################################################################',
          '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
          '####################################################################',
          '',
          'Your message could not be delivered for more than 4 hour(s).',
          'It will be retried until it is 5 day(s) old.',
          '',
          `<${o.recipient}>: ${diagnostic}`,
        ]
      : [
          `This is the mail system at host ${mta}.`,
          '',
          "I'm sorry to have to inform you that your message could not",
          'be delivered to one or more recipients. It\'s attached below.',
          '',
          '                   The mail system',
          '',
          `<${o.recipient}>: host ${mta}[192.0.2.25] said: ${diagnostic.replace(/^smtp;\s*/, '')} (in reply to RCPT TO command)`,
        ];
  const lines = [
    'Return-Path: <>',
    `Date: ${new Date().toUTCString()}`,
    `From: MAILER-DAEMON@${mta} (Mail Delivery System)`,
    `Subject: ${action === 'delayed' ? 'Delayed Mail (still being retried)' : 'Undelivered Mail Returned to Sender'}`,
    `To: ${o.to}`,
    'Auto-Submitted: auto-replied',
    ...(o.xOriginalMessageId ? [`X-Original-Message-ID: ${o.xOriginalMessageId}`] : []),
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="${boundary}"`,
    `Message-Id: ${o.messageId ?? `<dsn.${Date.now()}.${n}@${mta}>`}`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${mta}`,
    'X-Postfix-Queue-ID: 4ABCD1234',
    `Arrival-Date: ${new Date().toUTCString()}`,
    '',
    `Final-Recipient: rfc822; ${o.finalRecipient ?? o.recipient}`,
    `Original-Recipient: rfc822;${o.recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: ${diagnostic}`,
    '',
    ...(returnedPart ? [`--${boundary}`, ...returnedPart, ''] : []),
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n').replace(/\r?\n/g, '\r\n');
}
