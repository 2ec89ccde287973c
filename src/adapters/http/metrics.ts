import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The desk's Prometheus metrics, one registry per running service (so two
 * desks in one test process never share counters). Counters count what this
 * process did; `coalition_requests` and `coalition_queue_jobs` are read from
 * Redis when scraped, so they are the same in every process of one desk.
 */

export interface Collectors {
  /** Requests by status, read from the store. */
  requestsByStatus(): Promise<Record<string, number>>;
  /** Jobs by queue and state. */
  queueDepths(): Promise<{ queue: string; state: string; count: number }[]>;
}

/** Scrapes within this long of the last reuse its answer: a status page and Prometheus both polling must not scan Redis each time. */
const CACHE_MS = 2_000;

function cached<T>(fn: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | null = null;
  return () => {
    if (!value || Date.now() - at > CACHE_MS) {
      at = Date.now();
      value = fn();
      value.catch(() => {
        value = null;
      });
    }
    return value;
  };
}

/** What kind of mail an outbox id is: the template for request mails, `statement_update`, or what an inbound answer was. */
export function mailKind(mailId: string): string {
  const id = mailId.replace(/(\.again)+$/, '');
  const request = /^REQ-[0-9A-Z]+\.\d+\.([a-z_]+)/.exec(id);
  if (request) return request[1] as string;
  if (id.startsWith('statement.')) return 'statement_update';
  if (id.startsWith('digest.')) return 'approval_digest';
  const inbound = /^in\.[0-9a-f]+\.([a-z_]+)/.exec(id);
  if (inbound) return inbound[1] as string;
  return 'other';
}

export class DeskMetrics {
  readonly registry = new Registry();
  readonly ingested: Counter<'disposition'>;
  readonly processed: Counter<'outcome'>;
  readonly decisions: Counter<'outcome'>;
  readonly mailsSent: Counter<'kind'>;
  readonly mailsFailed: Counter<'kind'>;
  readonly imapReconnects: Counter;
  readonly imapConnected: Gauge;
  readonly lockHeld: Gauge;
  readonly ackLatency: Histogram;
  private imapConnections = 0;

  constructor(collectors: Collectors) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'coalition_process_' });
    this.ingested = new Counter({
      name: 'coalition_messages_ingested_total',
      help: 'Messages the watcher took from the mailbox, by where they went (processed, ignored, quarantine, leave)',
      labelNames: ['disposition'],
      registers,
    });
    this.processed = new Counter({
      name: 'coalition_messages_processed_total',
      help: 'Received messages the processor handled, by outcome (request_created, decision, automatic, left …)',
      labelNames: ['outcome'],
      registers,
    });
    this.decisions = new Counter({
      name: 'coalition_decisions_total',
      help: 'Decisions recorded on requests (by mail or from the command line), by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.mailsSent = new Counter({
      name: 'coalition_mails_sent_total',
      help: 'Mails the SMTP server accepted, by kind (the template)',
      labelNames: ['kind'],
      registers,
    });
    this.mailsFailed = new Counter({
      name: 'coalition_mails_failed_total',
      help: 'Mails given up on (a permanent refusal, or every retry used), by kind',
      labelNames: ['kind'],
      registers,
    });
    this.imapReconnects = new Counter({
      name: 'coalition_imap_reconnects_total',
      help: 'IMAP sessions opened after the first one of this process',
      registers,
    });
    this.imapConnected = new Gauge({ name: 'coalition_imap_connected', help: '1 while this process is connected to the mailbox', registers });
    this.lockHeld = new Gauge({ name: 'coalition_watcher_lock_held', help: '1 while this process holds the watcher lock', registers });
    this.ackLatency = new Histogram({
      name: 'coalition_ack_latency_seconds',
      help: "From a join request's arrival (its Date header, or when the desk read it) to its acknowledgement accepted by the SMTP server",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    const requests = cached(() => collectors.requestsByStatus());
    const queues = cached(() => collectors.queueDepths());
    new Gauge({
      name: 'coalition_requests',
      help: 'Requests by status',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        for (const [status, n] of Object.entries(await requests())) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'coalition_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const q of await queues()) this.set({ queue: q.queue, state: q.state }, q.count);
      },
    });
  }

  /** An IMAP session opened; every one after the first is a reconnect. */
  connected(): void {
    if (this.imapConnections++ > 0) this.imapReconnects.inc();
    this.imapConnected.set(1);
  }

  disconnected(): void {
    this.imapConnected.set(0);
  }

  mailSent(mailId: string): void {
    this.mailsSent.inc({ kind: mailKind(mailId) });
  }

  mailFailed(mailId: string): void {
    this.mailsFailed.inc({ kind: mailKind(mailId) });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
