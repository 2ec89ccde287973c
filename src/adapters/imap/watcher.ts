import { EventEmitter } from 'node:events';
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../log.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { planScan, uidsFrom, type CheckpointStore } from './checkpoint.ts';
import { createImapClient, MailboxError, withTimeout, type ImapSettings } from './connect.ts';
import { ensureFolders, type FolderNames } from './folders.ts';
import { META_QUERY, prefetchGroups, toMeta, type Ingestor, type Outcome } from './ingest.ts';
import type { RedisLock } from './lock.ts';

/**
 * INTERNALDATE has whole seconds (RFC 3501 date-time), so a message that arrived in
 * the same second as PROCESS_SINCE counts as new: better one old message processed
 * than one new message left alone.
 */
export function isBefore(internalDate: Date, processSince: Date): boolean {
  return internalDate.getTime() < Math.floor(processSince.getTime() / 1000) * 1000;
}

export interface WatcherOptions {
  mailbox: string;
  /** Folder names as configured ("Coalition/Processed"); mapped to the server's delimiter. */
  folders: FolderNames;
  /** Mail with an INTERNALDATE before this is left alone. */
  processSince: Date;
  /** Poll that backs up IDLE, and the period of the NOOP health check (ms). */
  pollIntervalMs: number;
  /** A NOOP (or connect) without answer for this long means a dead connection (ms). */
  healthTimeoutMs: number;
  /** How often a standby tries to take the lock (ms). */
  lockRetryMs: number;
  backoff: BackoffOptions;
  /** Messages whose metadata is fetched in one FETCH. */
  batchSize: number;
}

export interface WatcherEvents {
  connected: [];
  disconnected: [reason: string];
  'lock-acquired': [];
  'lock-lost': [];
  noticed: [{ uid: number; at: number }];
  filed: [Outcome & { at: number }];
  'caught-up': [{ lastUid: number | null }];
}

/**
 * Watches one mailbox while it holds the lock: connect → create folders →
 * SELECT → catch up → IDLE until new mail, a poll tick or a dead connection →
 * catch up again. Every failure ends the session; the loop reconnects with
 * exponential backoff and jitter and catches up on what arrived meanwhile.
 */
export class MailboxWatcher extends EventEmitter<WatcherEvents> {
  private stopping = false;
  private running: Promise<void> | null = null;
  private client: ImapFlow | null = null;
  private wakeFlag = false;
  private wakeResolve: (() => void) | null = null;
  private sleepTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  constructor(
    private readonly imap: ImapSettings,
    private readonly lock: RedisLock,
    private readonly checkpoints: CheckpointStore,
    private readonly ingestor: Ingestor,
    private readonly logger: Logger,
    readonly o: WatcherOptions,
  ) {
    super();
  }

  get isActive(): boolean {
    return this.lock.isHeld && this.client?.usable === true;
  }

  start(): void {
    if (this.running) return;
    this.running = this.run().catch((err: unknown) => this.logger.error({ err }, 'watcher loop ended with an error'));
  }

  /** Stops taking new mail, lets the hand-off in flight finish, releases the lock, logs out. */
  async close(): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.sleepTimer) {
      clearTimeout(this.sleepTimer.timer);
      this.sleepTimer.resolve();
    }
    await this.running;
  }

  private wake(): void {
    this.wakeFlag = true;
    this.wakeResolve?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepTimer = null;
        resolve();
      }, ms);
      this.sleepTimer = { timer, resolve };
    });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    try {
      while (!this.stopping) {
        if (!this.lock.isHeld) {
          const got = await this.lock.tryAcquire(() => this.onLockLost()).catch((err: unknown) => {
            this.logger.warn({ err }, 'could not reach Redis for the watcher lock');
            return false;
          });
          if (!got) {
            await this.sleep(this.o.lockRetryMs);
            continue;
          }
          this.logger.info({ mailbox: this.o.mailbox, lock: this.lock.key }, 'watcher lock acquired; this instance watches the mailbox');
          this.emit('lock-acquired');
        }
        try {
          // The backoff starts over only once a session has done real work (a full
          // catch-up), not merely logged in: when every session fails right after
          // LOGIN (Redis refusing writes, a folder that cannot be created, a MOVE the
          // server refuses), resetting on connect would log in again every baseMs.
          await this.session(() => (attempt = 0));
        } catch (err) {
          if (!this.stopping) this.logger.warn({ err, attempt }, 'mailbox session ended');
        }
        if (this.stopping) break;
        if (!this.lock.isHeld) continue; // lost the lock: back to standby at once
        const delay = backoffDelay(attempt++, this.o.backoff);
        this.logger.info({ delayMs: delay, attempt }, 'reconnecting to the mailbox');
        await this.sleep(delay);
      }
    } finally {
      await this.lock.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release the watcher lock'));
    }
  }

  private onLockLost(): void {
    this.logger.warn({ lock: this.lock.key }, 'watcher lock lost; stopping after the message in hand');
    this.emit('lock-lost');
    this.wake();
  }

  private shouldStop(): boolean {
    return this.stopping || !this.lock.isHeld;
  }

  private async session(onHealthy: () => void): Promise<void> {
    const o = this.o;
    const client = createImapClient(this.imap, {
      // Last line of defence only; the NOOP health check notices a dead line much sooner.
      socketTimeoutMs: Math.max(o.pollIntervalMs * 3, 150_000),
      connectTimeoutMs: Math.max(o.healthTimeoutMs, 5_000),
    });
    this.client = client;
    let closedReason: string | null = null;
    // A flag plus wake(), not a promise raced on every loop: a race against one
    // promise that stays pending for the whole session adds a reaction to it per
    // IDLE round, which a session lasting weeks would keep until it ends.
    client.once('close', () => {
      closedReason ??= 'connection closed';
      this.wake();
    });
    client.on('error', (err: unknown) => {
      this.logger.warn({ err }, 'IMAP connection error');
    });
    client.on('exists', (d: { path: string; count: number; prevCount: number }) => {
      if (d.count > d.prevCount) this.wake();
    });
    try {
      await withTimeout(client.connect(), Math.max(o.healthTimeoutMs, 5_000) * 2, 'IMAP connect');
      const folders = await ensureFolders(client, o.folders);
      const mb = await client.mailboxOpen(o.mailbox);
      this.logger.info(
        { mailbox: o.mailbox, uidValidity: String(mb.uidValidity), exists: mb.exists, folders },
        'connected to the mailbox',
      );
      this.emit('connected');
      while (!this.shouldStop()) {
        if (!client.usable) throw new MailboxError('MAILBOX_UNAVAILABLE', closedReason ?? 'connection not usable');
        this.wakeFlag = false;
        await this.catchUp(client, folders);
        onHealthy();
        if (this.shouldStop()) break;
        if (this.wakeFlag) continue; // mail arrived during the catch-up
        // IDLE (RFC 2177) until the server reports new mail, the poll tick, or the end.
        const woke = new Promise<'wake'>((resolve) => {
          this.wakeResolve = () => resolve('wake');
        });
        void client.idle().catch(() => undefined);
        let tick: NodeJS.Timeout | undefined;
        const poll = new Promise<'poll'>((resolve) => (tick = setTimeout(() => resolve('poll'), o.pollIntervalMs)));
        const why = await Promise.race([woke, poll]);
        clearTimeout(tick);
        this.wakeResolve = null;
        if (closedReason !== null) throw new MailboxError('MAILBOX_UNAVAILABLE', closedReason);
        if (why === 'poll') {
          // IDLE can die silently (NAT timeouts, half-open TCP): a NOOP that gets no
          // answer in time means the line is dead, so drop it and reconnect.
          await withTimeout(client.noop(), o.healthTimeoutMs, 'NOOP health check');
        }
      }
    } finally {
      this.wakeResolve = null;
      this.client = null;
      const reason = this.stopping ? 'shutdown' : !this.lock.isHeld ? 'lock lost' : (closedReason ?? 'error');
      // LOGOUT only on a planned end; after a failure the line may be dead, and waiting
      // for a LOGOUT answer would only delay the reconnect.
      const planned = this.stopping || !this.lock.isHeld;
      if (planned && client.usable) {
        await withTimeout(client.logout(), Math.min(3_000, o.healthTimeoutMs), 'LOGOUT').catch(() => client.close());
      } else {
        client.close();
      }
      this.emit('disconnected', reason);
    }
  }

  /** Hands off everything in the mailbox after the checkpoint, in UID order. */
  private async catchUp(client: ImapFlow, folders: FolderNames): Promise<void> {
    const o = this.o;
    const lock = await client.getMailboxLock(o.mailbox);
    try {
      const mb = client.mailbox;
      if (!mb) throw new MailboxError('MAILBOX_UNAVAILABLE', `${o.mailbox} is not selected`);
      const uidValidity = String(mb.uidValidity);
      const checkpoint = await this.checkpoints.get(o.mailbox);
      const plan = planScan(checkpoint, uidValidity);
      if (plan.reason === 'uidvalidity-changed') {
        this.logger.warn(
          { mailbox: o.mailbox, was: checkpoint?.uidValidity, now: uidValidity },
          'UIDVALIDITY changed: rescanning the mailbox; dedup records keep handed-off mail from being queued again',
        );
      }
      // SEARCH SINCE has day granularity in the server's time zone (RFC 3501 §6.4.4):
      // ask from the day before and compare INTERNALDATE exactly below. Mail older
      // than that is never fetched, however often we catch up.
      const since = new Date(o.processSince.getTime() - 24 * 3600 * 1000);
      const found = await client.search({ uid: `${plan.fromUid}:*`, since }, { uid: true });
      const uids = uidsFrom(found || [], plan.fromUid);
      let lastUid: number | null = null;
      for (let i = 0; i < uids.length && !this.shouldStop(); i += o.batchSize) {
        const chunk = uids.slice(i, i + o.batchSize);
        const metas = (await client.fetchAll(chunk.join(','), META_QUERY, { uid: true })).map(toMeta).sort((a, b) => a.uid - b.uid);
        // A group's bodies come in one FETCH, and its MOVEs go in one command per folder; the checkpoint
        // moves past the group only after both, so a crash inside it means the group is looked at again
        // (the seen records keep a message handed off from being queued twice).
        for (const group of prefetchGroups(metas)) {
          if (this.shouldStop()) break;
          const due = group.filter((m) => !isBefore(m.internalDate, o.processSince));
          const bodies = await this.ingestor.prefetch(client, due);
          const filed: Outcome[] = [];
          let last: number | null = null;
          this.ingestor.beginBatch();
          try {
            for (const meta of group) {
              if (this.shouldStop()) break;
              this.logger.info({ uid: meta.uid, size: meta.size, mailbox: o.mailbox }, 'noticed message');
              this.emit('noticed', { uid: meta.uid, at: Date.now() });
              if (isBefore(meta.internalDate, o.processSince)) {
                this.logger.debug({ uid: meta.uid, internalDate: meta.internalDate }, 'older than PROCESS_SINCE: left alone (see `coalition backfill`)');
              } else {
                const outcome = await this.ingestor.handle(client, meta, uidValidity, folders, bodies.get(meta.uid));
                bodies.delete(meta.uid);
                if (outcome) filed.push(outcome);
              }
              last = meta.uid;
            }
          } finally {
            await this.ingestor.flushMoves(client);
          }
          for (const outcome of filed) this.emit('filed', { ...outcome, at: Date.now() });
          // Only now: a crash before this line means the group is looked at again.
          if (last !== null) {
            await this.checkpoints.advance(o.mailbox, uidValidity, last);
            lastUid = last;
          }
        }
      }
      if (lastUid !== null) this.emit('caught-up', { lastUid });
    } finally {
      lock.release();
    }
  }
}
