import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Config } from '../../../config/schema.ts';
import { buildFlow } from '../../../workers/processor.ts';
import { createImapClient, imapSettings } from '../../adapters/imap/connect.ts';
import { namespaceOf, serverPath } from '../../adapters/imap/folders.ts';
import { silentLogger } from '../../adapters/log.ts';
import { keyspace } from '../../adapters/redis/keys.ts';
import { RequestStore } from '../../adapters/redis/request-store.ts';
import { normaliseAddress } from '../../domain/mail.ts';
import { REQUEST_STATUSES, type RequestRecord, type RequestStatus } from '../../domain/request.ts';
import { REQUEST_ID_RE } from '../../domain/token.ts';
import { CliError, printJsonLine, printText } from '../io.ts';
import { withRedis } from '../with-redis.ts';

/**
 * `coalition requests [--status S]`, `coalition request REQ-…` (with its audit
 * trail), `coalition approve|reject REQ-… --by ADDRESS [--reason …]`: the
 * command-line fallback for a coordinator's decision, and `coalition
 * open|close REQ-… --by ADDRESS` for a possible request (status unclear). They
 * go through the same transition as a mailed reply (first decision wins, undo
 * window, APPROVALS_REQUIRED, echo to coordinators) and are recorded in the
 * audit trail with via "cli". Mails are queued; the running mailer sends them.
 */

function requestId(v: string): string {
  const id = v.trim().toUpperCase();
  if (!REQUEST_ID_RE.test(id)) throw new CliError(`"${v}" is not a request reference like REQ-7F3K2`, 2);
  return id;
}

/**
 * Any value printed in a field of one line: line breaks, tabs, controls, bidirectional and invisible characters
 * shown as escapes, so no value (a display name with an encoded newline, an old record) can start a line that
 * looks like another audit entry, or reorder what the terminal shows.
 */
export function oneLine(v: string): string {
  return v.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}

/** A value as written in received mail: on one line, in quotes (its origin), with its own quotes escaped. */
export function fromMail(v: string | null | undefined): string {
  return v === null || v === undefined || v === '' ? '-' : `"${oneLine(v).replace(/"/g, '\\"')}"`;
}

/** Who did something: an address as it is, anything else as text from mail. */
function who(v: string): string {
  return /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}$|^(?:cli|timer|coalition)$/.test(v) ? v : fromMail(v);
}

function summary(r: RequestRecord): string {
  const name = r.organization.name ?? r.organization.acronym;
  const org = name ? fromMail(name) : '(no name)';
  const approvals = r.approvals.length ? ` approvals: ${r.approvals.map((a) => a.by).join(', ')}` : '';
  const possible = r.status === 'unclear' && r.possible ? `  possible request: ${r.possible.reason}` : '';
  const bounced = undeliverable(r) ? '  contact address undeliverable' : '';
  return `${r.id}  ${r.status.padEnd(20)} ${r.kind.padEnd(10)} ${r.createdAt.slice(0, 16).replace('T', ' ')}  ${org} <${r.replyAddress || 'no address'}>${approvals}${possible}${bounced}`;
}

/** The latest delivery report that says our mail to the contact address failed (contact_undeliverable), if any. */
function undeliverable(r: RequestRecord): RequestRecord['audit'][number] | undefined {
  return r.audit.filter((a) => a.event === 'contact_undeliverable').at(-1);
}

/** `coalition request REQ-…`: the request and its audit trail, one line per entry whatever the values hold. */
export function details(r: RequestRecord): string {
  const o = r.organization;
  const lines = [
    `${r.id} (${r.kind}) — ${r.status}`,
    `  (values in "quotes" are as written in received mail)`,
    `  organisation: ${fromMail(o.name)}${o.acronym ? ` (${fromMail(o.acronym)})` : ''}${o.city ? ` – ${fromMail(o.city)}` : ''}${o.website ? `  ${fromMail(o.website)}` : ''}`,
    `  contact:      ${fromMail(r.contact?.name)} <${oneLine(r.replyAddress) || 'no address'}>${r.contact?.phone ? `  ${fromMail(r.contact.phone)}` : ''}`,
    `  sender:       ${oneLine(r.senderAddress) || '-'}${r.senderVerified === true ? ' (verified)' : r.senderVerified === false ? ' (not verified)' : ''}`,
    ...(r.proposedContact ? [`  proposed:     ${oneLine(r.proposedContact)} (named in the mail, not written to)`] : []),
    ...(r.resembles ? [`  resembles:    ${oneLine(r.resembles)} (a hint)`] : []),
    ...(undeliverable(r)
      ? [`  delivery:     contact address undeliverable — ${undeliverable(r)?.detail ?? ''} (${undeliverable(r)?.at ?? ''})`]
      : r.audit.some((a) => a.event === 'delivery_delayed')
        ? [`  delivery:     delayed — ${r.audit.filter((a) => a.event === 'delivery_delayed').at(-1)?.detail ?? ''}`]
        : []),
    `  language:     ${r.language}`,
    r.status === 'unclear'
      ? `  received:     ${r.createdAt}   never expires (reminders until ${r.expiresAt})`
      : `  received:     ${r.createdAt}   expires: ${r.expiresAt}`,
    `  message:      ${r.originalMessageId ? oneLine(r.originalMessageId) : '-'}`,
  ];
  if (r.possible) {
    const res = r.possible.resolution;
    lines.push(
      `  possible:     ${r.possible.reason}${r.possible.automatic ? ', sent by a machine' : ''}${
        res
          ? ` — ${res.outcome} by ${res.by} at ${res.at}${res.reason ? ` (${oneLine(res.reason)})` : ''}`
          : ' — open it or close it'
      }`,
    );
  }
  if (r.missing.length) lines.push(`  missing:      ${oneLine(r.missing.join(', '))}`);
  if (r.approvals.length) lines.push(`  approvals:    ${r.approvals.map((a) => `${a.by} at ${a.at}`).join('; ')}`);
  if (r.decision) {
    const d = r.decision;
    lines.push(
      `  decision:     ${d.outcome} by ${d.by.join(', ')} at ${d.at} (effective ${d.effectiveAt})${d.reason ? ` — reason (${d.shareReason ? 'shared' : 'internal'}): ${oneLine(d.reason)}` : ''}`,
    );
  }
  if (r.outcome)
    lines.push(`  registry:     position ${r.outcome.position ?? '-'}, statement version ${r.outcome.version ?? '-'}`);
  lines.push('  audit:');
  for (const a of r.audit) {
    lines.push(
      `    ${oneLine(a.at)}  ${oneLine(a.event)}${a.by ? ` by ${who(a.by)}` : ''}${a.via ? ` via ${oneLine(a.via)}` : ''}${a.detail ? ` — ${oneLine(a.detail)}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function decideFromCli(
  id: string,
  decision: 'approve' | 'reject',
  o: { by: string; reason?: string; share?: boolean; name?: string },
): Promise<void> {
  await withRedis(async (redis, config) => {
    const by = coordinator(config.COORDINATORS, o.by);
    const parts = await buildFlow({ config, redis, logger: silentLogger });
    try {
      const before = await parts.store.get(id);
      if (!before) throw new CliError(`there is no request ${id}`);
      if (before.status === 'unclear') {
        throw new CliError(`${id} is a possible request: open it (coalition open) or close it (coalition close) first`);
      }
      const name = o.name?.trim();
      if (decision === 'approve' && !name && !before.organization.name && !before.organization.acronym) {
        throw new CliError(`${id} has no organisation name: approve it with --name "the organisation's name"`, 2);
      }
      const via = `cli.${new Date().toISOString()}.${randomBytes(4).toString('hex')}`;
      const res = await parts.flow.apply(
        id,
        decision === 'approve'
          ? { type: 'decide', by, decision, via, ...(name ? { corrections: { name } } : {}) }
          : { type: 'decide', by, decision, reason: o.reason ?? null, shareReason: Boolean(o.share && o.reason), via },
      );
      if (!res.found || !('request' in res)) throw new CliError(`there is no request ${id}`);
      const r = res.request;
      const counted = r.audit.some(
        (a) => a.via === via && ['approval', 'decided_approve', 'decided_reject'].includes(a.event),
      );
      if (!counted) {
        const d = before.decision;
        throw new CliError(
          `${id} is ${before.status}${d ? ` (${d.outcome} by ${d.by.join(', ')} at ${d.at})` : ''}${
            before.approvals.some((a) => a.by === by) ? ` and ${by} already approved it` : ''
          }: nothing changed`,
        );
      }
      printText(`${summary(r)}\n`);
    } finally {
      await parts.close();
    }
  });
}

/** Opens a possible request as a join request, or closes it as not a request. */
async function resolveFromCli(id: string, action: 'open' | 'close', o: { by: string; reason?: string }): Promise<void> {
  await withRedis(async (redis, config) => {
    const by = coordinator(config.COORDINATORS, o.by);
    const parts = await buildFlow({ config, redis, logger: silentLogger });
    try {
      const before = await parts.store.get(id);
      if (!before) throw new CliError(`there is no request ${id}`);
      const via = `cli.${new Date().toISOString()}.${randomBytes(4).toString('hex')}`;
      const res = await parts.flow.apply(
        id,
        action === 'open' ? { type: 'open', by, via } : { type: 'close', by, reason: o.reason ?? null, via },
      );
      if (!res.found || !('request' in res)) throw new CliError(`there is no request ${id}`);
      const r = res.request;
      const done = r.audit.some((a) => a.via === via && a.event === (action === 'open' ? 'opened' : 'closed'));
      if (!done) {
        const was = before.possible?.resolution;
        throw new CliError(
          `${id} is ${before.status}${was ? ` (${was.outcome} by ${was.by} at ${was.at})` : before.possible ? '' : ', not a possible request'}: nothing changed`,
        );
      }
      printText(`${summary(r)}\n`);
    } finally {
      await parts.close();
    }
  });
}

/**
 * The original of a request as received, from the mailbox: the folder the desk filed it in (or the watched
 * one, or quarantine), found by its Message-ID. For mail too large to attach to the approval requests.
 */
async function original(config: Config, messageId: string): Promise<Buffer> {
  const client = createImapClient(imapSettings(config), { socketTimeoutMs: 60_000, connectTimeoutMs: 15_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const ns = await namespaceOf(client);
    const folders = [config.FOLDER_PROCESSED, config.IMAP_MAILBOX, config.FOLDER_QUARANTINE].map((f) => serverPath(f, ns));
    const existing = new Set((await client.list()).map((m) => m.path));
    const id = messageId.trim();
    for (const folder of new Set(folders)) {
      if (!existing.has(folder)) continue;
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const uids = (await client.search({ header: { 'message-id': id } }, { uid: true })) || [];
        for (const uid of uids) {
          const m = await client.fetchOne(String(uid), { source: true, envelope: true }, { uid: true });
          if (m && m.source && (m.envelope?.messageId ?? '').trim() === id) return m.source;
        }
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
  throw new CliError(`the original ${messageId} is no longer in ${config.FOLDER_PROCESSED}, ${config.IMAP_MAILBOX} or ${config.FOLDER_QUARANTINE}`);
}

function coordinator(coordinators: readonly string[], address: string): string {
  const by = normaliseAddress(address);
  if (!coordinators.some((c) => normaliseAddress(c) === by)) {
    throw new CliError(`${address} is not one of the COORDINATORS`, 2);
  }
  return by;
}

export function registerRequests(program: Command): void {
  program
    .command('requests')
    .description('list requests (newest last), optionally only one status')
    .option(
      '--status <status>',
      `one of ${REQUEST_STATUSES.join(', ')} ("pending" includes info_requested; "unclear": possible requests)`,
    )
    .option('--json', 'one JSON object per request')
    .action(async (o: { status?: string; json?: boolean }) => {
      if (o.status && !REQUEST_STATUSES.includes(o.status as RequestStatus)) {
        throw new CliError(`--status must be one of ${REQUEST_STATUSES.join(', ')}, not "${o.status}"`, 2);
      }
      await withRedis(async (redis, config) => {
        const store = new RequestStore(redis, keyspace(config.REDIS_PREFIX));
        try {
          const list = await store.list(o.status ? { status: o.status as RequestStatus } : {});
          for (const r of list) {
            if (o.json) printJsonLine({ ...r, audit: undefined });
            else printText(`${summary(r)}\n`);
          }
          if (!o.json && list.length === 0) process.stdout.write('no requests\n');
        } finally {
          await store.close();
        }
      });
    });

  program
    .command('request')
    .description('show one request with its audit trail')
    .argument('<id>', 'request reference, e.g. REQ-7F3K2', requestId)
    .option('--json', 'the whole record as JSON')
    .option('--raw', 'the original message as received (from the mailbox), e.g. to save it: > original.eml')
    .action(async (id: string, o: { json?: boolean; raw?: boolean }) => {
      await withRedis(async (redis, config) => {
        const store = new RequestStore(redis, keyspace(config.REDIS_PREFIX));
        try {
          const r = await store.get(id);
          if (!r) throw new CliError(`there is no request ${id}`);
          if (o.raw) {
            if (!r.originalMessageId) throw new CliError(`${id} has no Message-ID to find its original by`);
            const raw = await original(config, r.originalMessageId);
            await new Promise<void>((done) => process.stdout.write(raw, () => done()));
          } else if (o.json) printJsonLine(r);
          else printText(details(r));
        } finally {
          await store.close();
        }
      });
    });

  program
    .command('approve')
    .description('approve a request as a coordinator (fallback for the mail reply)')
    .argument('<id>', 'request reference', requestId)
    .requiredOption('--by <address>', 'the deciding coordinator (one of COORDINATORS)')
    .option('--name <name>', "the organisation's name, as the statement will list it (required when the request has none)")
    .action(async (id: string, o: { by: string; name?: string }) => decideFromCli(id, 'approve', o));

  program
    .command('reject')
    .description('reject a request as a coordinator (fallback for the mail reply)')
    .argument('<id>', 'request reference', requestId)
    .requiredOption('--by <address>', 'the deciding coordinator (one of COORDINATORS)')
    .option('--reason <text>', 'why (kept among coordinators unless --share)')
    .option('--share', 'also tell the organisation the reason')
    .action(async (id: string, o: { by: string; reason?: string; share?: boolean }) => decideFromCli(id, 'reject', o));

  program
    .command('open')
    .description('open a possible request as a join request: acknowledged, and put to the coordinators for approval')
    .argument('<id>', 'request reference', requestId)
    .requiredOption('--by <address>', 'the coordinator who opens it (one of COORDINATORS)')
    .action(async (id: string, o: { by: string }) => resolveFromCli(id, 'open', o));

  program
    .command('close')
    .description('close a possible request as not a request (nothing is sent to its sender)')
    .argument('<id>', 'request reference', requestId)
    .requiredOption('--by <address>', 'the coordinator who closes it (one of COORDINATORS)')
    .option('--reason <text>', 'why (kept among coordinators)')
    .action(async (id: string, o: { by: string; reason?: string }) => resolveFromCli(id, 'close', o));
}
