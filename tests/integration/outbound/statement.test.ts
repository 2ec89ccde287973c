import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportData, importData, parseBackup, BackupError } from '../../../src/adapters/redis/backup.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RegistryStore } from '../../../src/adapters/redis/registry-store.ts';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import { StatementService } from '../../../src/app/statement-service.ts';
import { renderStatement, type JoinChange } from '../../../src/domain/statement.ts';
import { listMessages, waitForMessages } from '../../harness/mailbox.ts';
import { LIST, startStack, type Stack } from '../../harness/stack.ts';
import { outbound, until, type Outbound } from './setup.ts';

const source = loadStatementSource();
let stack: Stack;
let out: Outbound;
let registry: RegistryStore;
let service: StatementService;
const otherPrefixes: string[] = [];

beforeAll(async () => {
  stack = await startStack({ users: { 'partners@cso.example.net': 'x', 'idm@cso.example.net': 'y' } });
  out = outbound(stack, { STATEMENT_TO_SIGNATORIES: 'true' });
  registry = new RegistryStore(out.redis, out.ks, source.founding);
  service = new StatementService({ registry, outbox: out.outbox, templates: out.templates, document: source.document, config: out.config });
  await out.startMailer().worker.waitUntilReady();
});
afterAll(async () => {
  for (const p of otherPrefixes) {
    const keys = await out.redis.keys(`${p}:*`);
    if (keys.length) await out.redis.del(...keys);
  }
  await out?.close();
  await stack?.stop();
});

const join = (name: string, source_: string, email: string | null = null): JoinChange => ({
  signatory: { name, acronym: 'PA', city: 'Tirana', website: 'https://partners.example.org', contactEmail: email },
  approvedBy: ['ana@coord.example.org'],
  source: source_,
  at: new Date('2025-03-15T09:00:00Z'),
});

describe('the signatory registry', () => {
  it('starts as the founding statement with its nine signatories, seeded once', async () => {
    const seeds = await Promise.all([registry.seed(), registry.seed(), registry.seed()]);
    expect(seeds.filter(Boolean)).toHaveLength(1);
    const v1 = await registry.current();
    expect(v1?.number).toBe(1);
    expect(v1?.signatories).toHaveLength(9);
    const text = renderStatement(source.document, v1!, 'text', { joinAddress: out.config.COALITION_ADDRESS });
    expect(text).toContain('1. Institute for Democracy and Mediation (IDM) – Tirana\n');
    expect(text).toContain('9. Transparency International Albania\n');
    expect(text).not.toContain('10.');
  });

  it('adds an approved organisation as version 2 with ten signatories, once even when asked twice at the same time', async () => {
    const results = await Promise.all([
      registry.addSignatory(join('Partners Albania', 'REQ-P4RTN', 'partners@cso.example.net')),
      registry.addSignatory(join('Partners Albania', 'REQ-P4RTN', 'partners@cso.example.net')),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results.map((r) => r.version.number)).toEqual([2, 2]);
    expect(await registry.currentNumber()).toBe(2);
    const again = await registry.addSignatory(join('Partners Albania', 'REQ-P4RTN'));
    expect(again).toMatchObject({ created: false, version: { number: 2 } });
    const text = renderStatement(source.document, (await registry.current())!, 'text', { joinAddress: 'info@example.org' });
    expect([...text.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(text).toContain('10. Partners Albania (PA) – Tirana\n');
  });

  it('keeps concurrent changes from different requests as consecutive versions', async () => {
    const rs = await Promise.all([registry.addSignatory(join('Org A', 'REQ-A0001')), registry.addSignatory(join('Org B', 'REQ-B0001'))]);
    expect(rs.map((r) => r.version.number).sort()).toEqual([3, 4]);
    const left = await registry.removeSignatory({ signatoryId: 'REQ-A0001', approvedBy: ['besa@coord.example.org'], source: 'REQ-WA001', at: new Date() });
    expect(left.version.number).toBe(5);
    expect((await registry.removeSignatory({ signatoryId: 'REQ-A0001', approvedBy: [], source: 'REQ-WA001', at: new Date() })).created).toBe(false);
    expect((await registry.versions()).map((v) => [v.number, v.change.type, v.signatories.length])).toEqual([
      [1, 'founded', 9],
      [2, 'joined', 10],
      [3, 'joined', 11],
      [4, 'joined', 12],
      [5, 'left', 11],
    ]);
  });
});

describe('a new statement version', () => {
  it('reaches the coalition list once, in the body and attached, naming what changed', async () => {
    const evil = '<script>alert(1)</script>';
    const r = await service.join(join(evil, 'REQ-EVIL1', 'idm@cso.example.net'));
    expect(r.version.number).toBe(6);
    expect(r.mails).toContain('statement.v6.list');
    // A retry after a crash: same version, same mail ids, nothing new delivered.
    const again = await service.join(join(evil, 'REQ-EVIL1', 'idm@cso.example.net'));
    expect(again).toMatchObject({ created: false, mails: r.mails });

    const [got] = await waitForMessages(stack.dovecot, LIST, { match: (m) => m.messageId === '<statement.v6.list@example.org>' });
    const mail = await simpleParser(got!.source);
    expect(mail.subject).toContain('Deklarata e Përbashkët – versioni 6');
    expect(mail.text).toContain('12. <script>alert(1)</script> (PA) – Tirana');
    expect(mail.text).toContain('Miratuar nga: ana@coord.example.org');
    expect(mail.html).not.toMatch(/<script/);
    expect(mail.html).toContain('<li>&lt;script&gt;alert(1)&lt;/script&gt; (PA) – Tirana</li>');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['deklarata-e-perbashket-v6.txt', 'deklarata-e-perbashket-v6.html']);
    const attachedHtml = mail.attachments[1]!.content.toString('utf8');
    expect(attachedHtml).not.toMatch(/<script/);
    expect(mail.attachments[0]!.content.toString('utf8')).toContain('JOINT STATEMENT');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');

    // Signatory contacts get their own copy (STATEMENT_TO_SIGNATORIES=true), one each.
    await waitForMessages(stack.dovecot, 'idm@cso.example.net', { match: (m) => m.subject.includes('versioni 6') });
    await waitForMessages(stack.dovecot, 'partners@cso.example.net', { match: (m) => m.subject.includes('versioni 6') });
    await new Promise((res) => setTimeout(res, 800));
    expect((await listMessages(stack.dovecot, LIST)).filter((m) => m.subject.includes('versioni 6'))).toHaveLength(1);
    expect(stack.smtp.deliveriesTo(LIST).filter((m) => m.raw.includes('statement.v6.list'))).toHaveLength(1);
  });
});

describe('export and import', () => {
  it('reproduce the registry, its versions and any other data exactly under an empty prefix', async () => {
    // Data of another kind (as the request history will be) is carried along generically.
    await out.redis.hset(out.ks.data('request', 'REQ-P4RTN'), { status: 'approved', org: 'Partners Albania' });
    await out.redis.rpush(out.ks.data('request', 'REQ-P4RTN', 'audit'), 'received', 'acknowledged', 'approved');
    await out.redis.zadd(out.ks.data('request', 'index'), 1741, 'REQ-P4RTN', '-inf', 'REQ-OLD');
    await out.redis.sadd(out.ks.data('request', 'pending'), 'REQ-1', 'REQ-2');
    await out.redis.xadd(out.ks.data('audit'), '1741000000000-0', 'type', 'received', 'id', 'REQ-P4RTN');
    await out.redis.set(out.ks.data('blob'), Buffer.from([0xff, 0x00, 0xfe]));
    await out.redis.set(out.ks.op('checkpoint'), 'not exported');

    const backup = await exportData(out.redis, out.ks);
    expect(backup.keys.some((k) => k.key === 'data:outbox:sent')).toBe(true);
    expect(backup.keys.some((k) => k.key.includes('checkpoint') || k.key.includes('bull'))).toBe(false);
    const json = JSON.stringify(backup, null, 2);

    const prefix = `t5-restore-${randomBytes(4).toString('hex')}`;
    otherPrefixes.push(prefix);
    const ks2 = keyspace(prefix);
    await importData(out.redis, ks2, parseBackup(json));
    const again = await exportData(out.redis, ks2);
    expect(again.keys).toEqual(backup.keys);

    const restored = new RegistryStore(out.redis, ks2, source.founding);
    expect(await restored.versions()).toEqual(await registry.versions());
    expect((await out.redis.getBuffer(ks2.data('blob')))?.equals(Buffer.from([0xff, 0x00, 0xfe]))).toBe(true);
    // The restored registry still refuses to apply a request twice.
    expect((await restored.addSignatory(join('Partners Albania', 'REQ-P4RTN'))).created).toBe(false);
  });

  it('refuses to import over existing data unless forced', async () => {
    const backup = await exportData(out.redis, out.ks);
    await expect(importData(out.redis, out.ks, backup)).rejects.toThrow(BackupError);
    await out.redis.set(out.ks.data('stray'), 'x');
    await importData(out.redis, out.ks, backup, { force: true });
    expect(await out.redis.exists(out.ks.data('stray'))).toBe(0);
    expect((await exportData(out.redis, out.ks)).keys).toEqual(backup.keys);
    expect(() => parseBackup('{"format":"something-else"}')).toThrow(/not a coalition backup/);
  });

  it('takes a backup that restores to a working registry even when an approval lands while it runs', async () => {
    const prefix = `t5-live-${randomBytes(4).toString('hex')}`;
    otherPrefixes.push(prefix);
    const ks3 = keyspace(prefix);
    const live = new RegistryStore(out.redis, ks3, source.founding);
    await live.addSignatory(join('Partners Albania', 'REQ-P4RTN'));
    const before = (await live.currentNumber()) as number;
    // The approval commits right after the export has listed the keys and begun reading them.
    let landed = false;
    const racing = new Proxy(out.redis, {
      get(target, prop) {
        if (prop === 'type') {
          return async (key: string) => {
            const t = await target.type(key);
            if (!landed) {
              landed = true;
              await live.addSignatory(join('Joined Mid-Export', 'REQ-MIDEX'));
            }
            return t;
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const backup = await exportData(racing, ks3);
    expect(landed).toBe(true);

    const prefix4 = `t5-restored-${randomBytes(4).toString('hex')}`;
    otherPrefixes.push(prefix4);
    const ks4 = keyspace(prefix4);
    await importData(out.redis, ks4, backup);
    const restored = new RegistryStore(out.redis, ks4, source.founding);
    const current = await restored.current();
    expect(current?.number).toBe(before + 1);
    expect(current?.signatories.at(-1)?.name).toBe('Joined Mid-Export');
    expect((await restored.appliedVersion('REQ-MIDEX'))?.number).toBe(before + 1);
  });
});

it('the statement command prints the registry’s latest version', async () => {
  const { execFile } = await import('node:child_process');
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['bin/coalition.js', ...args], { env: { ...process.env, ...out.config_env() }, cwd: process.cwd() }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const latest = await run(['statement']);
  expect(latest.code).toBe(0);
  expect(latest.stdout).toContain('10. Partners Albania (PA) – Tirana\n11. Org B (PA) – Tirana\n12. <script>');
  const v2 = await run(['statement', '--version', '2', '--format', 'html']);
  expect(v2.stdout).toContain('<li>Partners Albania (PA) – Tirana</li>');
  const asData = JSON.parse((await run(['statement', '--version', '2', '--json'])).stdout) as { number: number; signatories: { position: number; name: string }[]; text: string };
  expect(asData.number).toBe(2);
  expect(asData.signatories.at(-1)).toMatchObject({ position: 10, name: 'Partners Albania' });
  expect(asData.text).toContain('10. Partners Albania (PA) – Tirana');
  const sig = await run(['signatories']);
  expect(sig.stdout).toMatch(/^1\. Institute for Democracy and Mediation \(IDM\) – Tirana {2}\[founding\]$/m);
  const missing = await run(['statement', '--version', '99']);
  expect(missing.code).toBe(1);
  expect(missing.stderr.trim()).toBe('coalition: there is no version 99 (latest is 6)');
  await until('export', async () => (await run(['export'])).stdout.includes('"format": "coalition-desk-backup"'));
});
