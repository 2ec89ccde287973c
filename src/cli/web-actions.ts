import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../adapters/log.ts';
import type { WebAction } from '../adapters/http/pages.ts';
import type { ActionResult, WebActions } from '../adapters/http/status.ts';
import type { FlowEvent } from '../domain/request.ts';
import { buildFlow } from '../../workers/processor.ts';
import { readDeskSettings, withDeskFlow } from './desk-settings.ts';

/** The audit events that show an action counted (anything else: the request had moved on). */
const COUNTED: Record<WebAction, string[]> = {
  approve: ['approval', 'decided_approve'],
  reject: ['decided_reject'],
  open: ['opened'],
  close: ['closed'],
};

/**
 * Decisions from the status page, through the same transition as a mailed
 * reply or `coalition approve` (first decision wins, undo window, echo to the
 * coordinators), with the running desk's flow settings, and recorded in the
 * audit trail with via `web.<time>.<random>`.
 */
export function webActions(config: Config, redis: Redis, logger: Logger): WebActions {
  return {
    async apply(id, action, o): Promise<ActionResult> {
      const desk = withDeskFlow(config, await readDeskSettings(redis, config.REDIS_PREFIX).catch(() => null));
      const parts = await buildFlow({ config: desk.config, redis, logger });
      try {
        const via = `web.${new Date().toISOString()}.${randomBytes(4).toString('hex')}`;
        const event: FlowEvent =
          action === 'approve'
            ? { type: 'decide', by: o.by, decision: 'approve', via }
            : action === 'reject'
              ? { type: 'decide', by: o.by, decision: 'reject', reason: o.reason, shareReason: Boolean(o.share && o.reason), via }
              : action === 'open'
                ? { type: 'open', by: o.by, via }
                : { type: 'close', by: o.by, reason: o.reason, via };
        const res = await parts.flow.apply(id, event);
        if (!res.found || !('request' in res)) return { ok: false, message: `there is no request ${id}` };
        const r = res.request;
        if (!r.audit.some((a) => a.via === via && COUNTED[action].includes(a.event))) {
          return { ok: false, message: `${id} is ${r.status}: nothing changed` };
        }
        logger.info({ requestId: id, action, by: o.by, via }, 'decision from the status page');
        return { ok: true, request: r };
      } finally {
        await parts.close();
      }
    },
  };
}
