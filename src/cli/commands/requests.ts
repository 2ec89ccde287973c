import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { buildFlow } from '../../../workers/processor.ts';
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
 * trail), and `coalition approve|reject REQ-… --by ADDRESS [--reason …]`: the
 * command-line fallback for a coordinator's decision. It goes through the
 * same transition as a mailed reply (first decision wins, undo window,
 * APPROVALS_REQUIRED, echo to coordinators) and is recorded in the audit
 * trail with via "cli". Mails are queued; the running mailer sends them.
 */

function requestId(v: string): string {
  const id = v.trim().toUpperCase();
  if (!REQUEST_ID_RE.test(id)) throw new CliError(`"${v}" is not a request reference like REQ-7F3K2`, 2);
  return id;
}

function summary(r: RequestRecord): string {
  const org = r.organization.name ?? r.organization.acronym ?? '(no name)';
  const approvals = r.approvals.length ? ` approvals: ${r.approvals.map((a) => a.by).join(', ')}` : '';
  return `${r.id}  ${r.status.padEnd(20)} ${r.kind.padEnd(10)} ${r.createdAt.slice(0, 16).replace('T', ' ')}  ${org} <${r.replyAddress}>${approvals}`;
}

function details(r: RequestRecord): string {
  const o = r.organization;
  const lines = [
    `${r.id} (${r.kind}) — ${r.status}`,
    `  organisation: ${o.name ?? '-'}${o.acronym ? ` (${o.acronym})` : ''}${o.city ? ` – ${o.city}` : ''}${o.website ? `  ${o.website}` : ''}`,
    `  contact:      ${r.contact?.name ?? '-'} <${r.replyAddress}>${r.contact?.phone ? `  ${r.contact.phone}` : ''}`,
    `  language:     ${r.language}`,
    `  received:     ${r.createdAt}   expires: ${r.expiresAt}`,
    `  message:      ${r.originalMessageId ?? '-'}`,
  ];
  if (r.missing.length) lines.push(`  missing:      ${r.missing.join(', ')}`);
  if (r.approvals.length) lines.push(`  approvals:    ${r.approvals.map((a) => `${a.by} at ${a.at}`).join('; ')}`);
  if (r.decision) {
    const d = r.decision;
    lines.push(
      `  decision:     ${d.outcome} by ${d.by.join(', ')} at ${d.at} (effective ${d.effectiveAt})${d.reason ? ` — reason (${d.shareReason ? 'shared' : 'internal'}): ${d.reason}` : ''}`,
    );
  }
  if (r.outcome)
    lines.push(`  registry:     position ${r.outcome.position ?? '-'}, statement version ${r.outcome.version ?? '-'}`);
  lines.push('  audit:');
  for (const a of r.audit) {
    lines.push(
      `    ${a.at}  ${a.event}${a.by ? ` by ${a.by}` : ''}${a.via ? ` via ${a.via}` : ''}${a.detail ? ` — ${a.detail}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function decideFromCli(
  id: string,
  decision: 'approve' | 'reject',
  o: { by: string; reason?: string; share?: boolean },
): Promise<void> {
  await withRedis(async (redis, config) => {
    const by = normaliseAddress(o.by);
    if (!config.COORDINATORS.some((c) => normaliseAddress(c) === by)) {
      throw new CliError(`${o.by} is not one of the COORDINATORS`, 2);
    }
    const parts = await buildFlow({ config, redis, logger: silentLogger });
    try {
      const before = await parts.store.get(id);
      if (!before) throw new CliError(`there is no request ${id}`);
      const via = `cli.${new Date().toISOString()}.${randomBytes(4).toString('hex')}`;
      const res = await parts.flow.apply(
        id,
        decision === 'approve'
          ? { type: 'decide', by, decision, via }
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

export function registerRequests(program: Command): void {
  program
    .command('requests')
    .description('list requests (newest last), optionally only one status')
    .option('--status <status>', `one of ${REQUEST_STATUSES.join(', ')} ("pending" includes info_requested)`)
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
    .action(async (id: string, o: { json?: boolean }) => {
      await withRedis(async (redis, config) => {
        const store = new RequestStore(redis, keyspace(config.REDIS_PREFIX));
        try {
          const r = await store.get(id);
          if (!r) throw new CliError(`there is no request ${id}`);
          if (o.json) printJsonLine(r);
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
    .action(async (id: string, o: { by: string }) => decideFromCli(id, 'approve', o));

  program
    .command('reject')
    .description('reject a request as a coordinator (fallback for the mail reply)')
    .argument('<id>', 'request reference', requestId)
    .requiredOption('--by <address>', 'the deciding coordinator (one of COORDINATORS)')
    .option('--reason <text>', 'why (kept among coordinators unless --share)')
    .option('--share', 'also tell the organisation the reason')
    .action(async (id: string, o: { by: string; reason?: string; share?: boolean }) => decideFromCli(id, 'reject', o));
}
