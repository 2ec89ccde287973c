import { effectId, type TokenUse, type UpdateResult } from '../../../../src/contracts/requests.ts';
import {
  indexEntries,
  LIVE_STATUSES,
  RequestRecordSchema,
  type Effect,
  type RequestRecord,
  type TransitionResult,
} from '../../../../src/domain/request.ts';

/**
 * The request store's contract in memory, for processor tests without Redis: a
 * record and its effects change together, a reply counts once (token use), a
 * message creates one request. The Redis store itself is tested against Redis
 * (tests/integration/flow/request-store.test.ts).
 */
export class MemoryRequestStore {
  readonly records = new Map<string, RequestRecord>();
  readonly outboxes = new Map<string, Effect[]>();
  readonly byMessage = new Map<string, string>();
  readonly tokenUses = new Set<string>();
  readonly openIds = new Set<string>();

  private copy(r: RequestRecord): RequestRecord {
    return RequestRecordSchema.parse(JSON.parse(JSON.stringify(r)));
  }

  async get(id: string): Promise<RequestRecord | null> {
    const r = this.records.get(id.toUpperCase());
    return r ? this.copy(r) : null;
  }

  async list(): Promise<RequestRecord[]> {
    return [...this.records.values()].map((r) => this.copy(r));
  }

  async open(): Promise<RequestRecord[]> {
    return [...this.openIds].map((id) => this.copy(this.records.get(id) as RequestRecord));
  }

  async openMatching(entries: readonly string[]): Promise<RequestRecord[]> {
    const wanted = new Set(entries);
    return (await this.open()).filter((r) => indexEntries(r).some((e) => wanted.has(e)));
  }

  /** Nothing to rebuild: openMatching reads the records themselves. */
  async reindex(): Promise<number> {
    return this.openIds.size;
  }

  /** One process, no concurrency: the snapshot only has to change when the open set does. */
  async snapshot(): Promise<string> {
    return [...this.openIds].sort().join(',');
  }

  async idForMessage(messageId: string): Promise<string | null> {
    return this.byMessage.get(messageId.trim().toLowerCase()) ?? null;
  }

  async create(result: TransitionResult, messageKey: string): Promise<{ created: boolean; id: string }> {
    const key = messageKey.trim().toLowerCase();
    const existing = this.byMessage.get(key);
    if (existing) return { created: false, id: existing };
    const r = result.request;
    this.byMessage.set(key, r.id);
    this.records.set(r.id, this.copy(r));
    this.openIds.add(r.id);
    if (result.effects.length) this.outboxes.set(r.id, [...result.effects]);
    return { created: true, id: r.id };
  }

  async update(
    id: string,
    step: (r: RequestRecord) => TransitionResult | null,
    o: { tokenUse?: TokenUse } = {},
  ): Promise<UpdateResult> {
    const current = this.records.get(id.toUpperCase());
    if (!current) return { found: false };
    const use = o.tokenUse
      ? `${o.tokenUse.coordinator.toLowerCase()}|${o.tokenUse.replyMessageId.toLowerCase()}`
      : null;
    if (use && this.tokenUses.has(use)) return { found: true, replay: true, changed: false };
    const res = step(this.copy(current));
    if (!res || !res.changed) return { request: this.copy(current), effects: [], changed: false, found: true };
    this.records.set(current.id, this.copy(res.request));
    if (LIVE_STATUSES.includes(res.request.status))
      this.openIds.add(current.id);
    else this.openIds.delete(current.id);
    if (res.effects.length) this.outboxes.set(current.id, [...(this.outboxes.get(current.id) ?? []), ...res.effects]);
    if (use) this.tokenUses.add(use);
    return { ...res, found: true };
  }

  async pendingEffects(id: string): Promise<Effect[]> {
    return [...(this.outboxes.get(id) ?? [])];
  }

  async requestsWithEffects(): Promise<string[]> {
    return [...this.outboxes.keys()];
  }

  async completeEffects(id: string, done: readonly Effect[]): Promise<void> {
    const ids = new Set(done.map(effectId));
    const left = (this.outboxes.get(id) ?? []).filter((e) => !ids.has(effectId(e)));
    if (left.length) this.outboxes.set(id, left);
    else this.outboxes.delete(id);
  }

  async audit(id: string, entry: { event: string; by?: string | null; via?: string | null; detail?: string | null }) {
    await this.update(id, (r) => ({
      request: {
        ...r,
        audit: [
          ...r.audit,
          {
            at: new Date().toISOString(),
            event: entry.event,
            by: entry.by ?? null,
            via: entry.via ?? null,
            detail: entry.detail ?? null,
          },
        ],
      },
      effects: [],
      changed: true,
    }));
  }
}
