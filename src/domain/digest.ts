import { explain, type Explanation } from './explanation.ts';
import { parseDuration } from './duration.ts';
import { fold, newText, parseReplyCommand } from './reply-command.ts';
import type { RequestRecord } from './request/schema.ts';
import { cleanLine } from './statement.ts';
import { REQUEST_ID_RE } from './token.ts';

/**
 * The approval digest: during a flood the coordinators get one mail per APPROVAL_DIGEST_EVERY listing every
 * request waiting for them, instead of one approval mail per request, and decide by one reply with a line per
 * request:
 *
 *   REQ-7F3K2 PO
 *   REQ-9HX4M JO: arsyeja (shared with the organisation)
 *   REQ-4KQ2P NO (internal): reason
 *
 * `APPROVAL_DIGEST`: `off` (one mail per request, always), `always` (never one mail per request), or a rate
 * `N/h` (any duration: `N/15m`, `N/1d`): a request's approval mail goes into the digest when more than N
 * approval requests (this one counted) were to go out within that window, or while a digest is still waiting
 * to go out (so a request never overtakes the ones listed before it).
 *
 * Everything here is pure: the routing rule, the digest reply reader, and what a line of it did to a request.
 */

export type DigestSetting = { mode: 'off' } | { mode: 'always' } | { mode: 'rate'; limit: number; windowMs: number };

/** `off`, `always`, `30/h`, `30/1h`, `100/1d`, `30 per hour`; null when unreadable. */
export function parseDigestSetting(value: string): DigestSetting | null {
  const s = value.trim().toLowerCase();
  if (s === 'off' || s === 'never' || s === 'false' || s === '0') return { mode: 'off' };
  if (s === 'always' || s === 'on' || s === 'true') return { mode: 'always' };
  const m = /^(\d+)\s*(?:\/|per)\s*(\S+)$/.exec(s.replace(/\s*per\s+/, ' per '));
  if (!m) return null;
  const limit = Number(m[1]);
  const unit = (m[2] as string).replace(/^hour$/, 'h').replace(/^day$/, 'd').replace(/^minute$/, 'm');
  const windowMs = parseDuration(/^\d/.test(unit) ? unit : `1${unit}`);
  if (!Number.isInteger(limit) || limit < 0 || windowMs === null || windowMs <= 0) return null;
  return { mode: 'rate', limit, windowMs };
}

export function formatDigestSetting(s: DigestSetting): string {
  if (s.mode !== 'rate') return s.mode;
  return s.windowMs === 3_600_000 ? `${s.limit}/h` : `${s.limit}/${s.windowMs / 1000}s`;
}

/**
 * Where one request's approval request goes. `recent`: approval requests routed within the setting's window,
 * this one included; `waiting`: requests already in the digest that has not gone out yet.
 */
export function digestRoute(s: DigestSetting, o: { recent: number; waiting: number }): 'single' | 'digest' {
  if (s.mode === 'off') return 'single';
  if (s.mode === 'always') return 'digest';
  return o.recent > s.limit || o.waiting > 0 ? 'digest' : 'single';
}

/** One request as a digest lists it: its id and the record's sequence number then (what the coordinator saw). */
export interface DigestItem {
  id: string;
  seq: number;
}

export interface Digest {
  /** 1, 2, 3 …: the digest's number, in its mail ids and its tokened Message-IDs. */
  number: number;
  at: string;
  items: DigestItem[];
}

/** The nonce of a decision made on a digest line: `d<seq>`, so an approval of an older state is caught (machine.ts). */
export function digestNonce(item: DigestItem): string {
  return `d${item.seq}`;
}

// ---------------------------------------------------------------- the reply

export type DigestCommand =
  | { type: 'approve' }
  | { type: 'reject'; reason: string | null; shareReason: boolean }
  | { type: 'undo' };

export interface DigestLine {
  reference: string;
  command: DigestCommand;
  /** The line as written (one clean line, cut to 200 characters), for the summary. */
  line: string;
}

export interface RefusedLine {
  reference: string | null;
  line: string;
  problem: Explanation;
}

export interface DigestReply {
  lines: DigestLine[];
  refused: RefusedLine[];
}

/** A line that starts with a reference: "REQ-7F3K2 PO", "- [REQ-7F3K2]: JO: …", "*REQ-7F3K2* yes". */
const REF_LINE = /^[\s*_•·>–—-]*\[?\s*(REQ-[0-9A-Z]{1,12})\s*\]?[*_]*\s*[:=.,;–—-]?\s*(.*)$/i;
const ANY_REF = /\bREQ-[0-9A-Z]{3,12}\b/i;

function shown(line: string): string {
  return cleanLine(line, 200);
}

const WORDS_HELP = explain(
  'pas referencës shkruani PO ose JO (edhe YES/NO, MIRATOJ/REFUZOJ, ANULO/UNDO)',
  'write PO or JO after the reference (also YES/NO, APPROVE/REJECT, ANULO/UNDO)',
);

/**
 * Reads a reply to a digest: every line of the new text (quoted lines, the quoted original below "On … wrote:" /
 * "Më … shkroi:", signatures and forwarded blocks never count) that starts with a request reference is one
 * command for that request. A command line without a reference, or a reference not at the start of its line, is
 * refused (and told back); other text (greetings, thanks) is ignored. The same reference twice with the same
 * decision counts once; with different ones it is refused.
 */
export function parseDigestReply(text: string): DigestReply {
  const body = newText(text);
  const byRef = new Map<string, DigestLine>();
  const conflicting = new Set<string>();
  const refused: RefusedLine[] = [];
  for (const raw of body.split('\n')) {
    if (!raw.trim()) continue;
    const m = REF_LINE.exec(raw);
    if (!m) {
      if (ANY_REF.test(raw)) {
        const ref = (ANY_REF.exec(raw) as RegExpExecArray)[0].toUpperCase();
        refused.push({
          reference: REQUEST_ID_RE.test(ref) ? ref : null,
          line: shown(raw),
          problem: explain(
            'referenca duhet të jetë në fillim të rreshtit, p.sh. "REQ-7F3K2 PO"',
            'the reference must start the line, e.g. "REQ-7F3K2 PO"',
          ),
        });
        continue;
      }
      const cmd = parseReplyCommand(raw);
      if (cmd.type !== 'unclear') {
        refused.push({
          reference: null,
          line: shown(raw),
          problem: explain(
            'ky rresht nuk thotë për cilën kërkesë është: fillojeni me referencën, p.sh. "REQ-7F3K2 PO"',
            'this line does not say which request it is for: start it with the reference, e.g. "REQ-7F3K2 PO"',
          ),
        });
      }
      continue;
    }
    const reference = (m[1] as string).toUpperCase();
    const rest = (m[2] as string).trim();
    if (!REQUEST_ID_RE.test(reference)) {
      refused.push({
        reference: null,
        line: shown(raw),
        problem: explain('kjo nuk është një referencë e desk-ut', 'this is not a reference the desk gives'),
      });
      continue;
    }
    const cmd = rest ? parseReplyCommand(rest) : null;
    let command: DigestCommand | null = null;
    if (cmd?.type === 'approve' && Object.keys(cmd.corrections).length === 0) command = { type: 'approve' };
    else if (cmd?.type === 'reject') command = { type: 'reject', reason: cmd.reason, shareReason: cmd.shareReason };
    else if (cmd?.type === 'undo') command = { type: 'undo' };
    if (!command) {
      const problem =
        cmd?.type === 'unclear' && rest && fold(rest).split(' ').length > 1 && /\b(po|jo|yes|no)\b/.test(fold(rest))
          ? cmd.problem
          : cmd && cmd.type !== 'unclear'
            ? explain(
                'në një përgjigje për përmbledhjen pranohen vetëm PO, JO dhe ANULO; për pyetje ose korrigjime përgjigjuni emailit të vetë kërkesës ose përdorni `coalition`',
                'a reply to the digest takes only PO, JO and UNDO; for a question or a correction reply to the request’s own mail or use `coalition`',
              )
            : WORDS_HELP;
      refused.push({ reference, line: shown(raw), problem });
      continue;
    }
    if (conflicting.has(reference)) continue;
    const before = byRef.get(reference);
    if (!before) {
      byRef.set(reference, { reference, command, line: shown(raw) });
      continue;
    }
    if (before.command.type === command.type) continue; // the same decision twice: once
    byRef.delete(reference);
    conflicting.add(reference);
    refused.push({
      reference,
      line: shown(raw),
      problem: explain(
        `përgjigjja jep dy vendime të ndryshme për ${reference}: asnjëri nuk u zbatua`,
        `the reply gives two different decisions for ${reference}: neither was applied`,
      ),
    });
  }
  return { lines: [...byRef.values()], refused };
}

// ---------------------------------------------------------------- what a line did

export type LineOutcome =
  | { applied: true; state: 'approval' | 'approved' | 'rejected' | 'decided' | 'undone' }
  | { applied: false; problem: Explanation };

const STATUS_SQ: Record<string, string> = {
  approved: 'u miratua',
  rejected: 'u refuzua',
  expired: 'skadoi',
  not_request: 'u mbyll si jo-kërkesë',
  decided_pending_undo: 'ka një vendim që pret afatin e anulimit',
  awaiting_confirmation: 'pret konfirmimin e kontaktit',
  unclear: 'është kërkesë e mundshme',
  pending: 'është në pritje',
  info_requested: 'pret përgjigjen e organizatës',
};

/**
 * What the transition of one digest line did to its request, read from the audit entries it left (`via` is the
 * reply's Message-ID): applied, or why not, in both languages.
 */
export function lineOutcome(r: RequestRecord, via: string): LineOutcome {
  const entry = [...r.audit].reverse().find((a) => a.via === via);
  switch (entry?.event) {
    case 'approval':
      return { applied: true, state: 'approval' };
    case 'approved':
      return { applied: true, state: 'approved' };
    case 'rejected':
      return { applied: true, state: 'rejected' };
    case 'decided_approve':
    case 'decided_reject':
      return { applied: true, state: 'decided' };
    case 'undone':
      return { applied: true, state: 'undone' };
  }
  const detail = entry?.detail ?? '';
  if (detail.startsWith('late reply')) {
    return {
      applied: false,
      problem: explain(`kërkesa ${STATUS_SQ[r.status] ?? r.status} tashmë`, `the request is already ${r.status.replace(/_/g, ' ')}`),
    };
  }
  if (detail.includes('already approved')) {
    return { applied: false, problem: explain('e keni miratuar tashmë', 'you approved it already') };
  }
  if (detail.includes('before the organisation changed')) {
    return {
      applied: false,
      problem: explain(
        'organizata i ndryshoi të dhënat pas përmbledhjes: lexoni emailin "Kërkesa u përditësua" dhe përgjigjuni atij',
        'the organisation changed its details after the digest: read the "Request updated" email and reply to that one',
      ),
    };
  }
  if (detail.includes('without a name')) {
    return {
      applied: false,
      problem: explain(
        'kërkesa nuk ka emër organizate: miratojeni duke iu përgjigjur emailit të saj me PO dhe "Emri: …"',
        'the request has no organisation name: approve it by replying to its own mail with PO and "Name: …"',
      ),
    };
  }
  if (detail.includes('UNDO with nothing')) {
    return { applied: false, problem: explain('nuk ka vendim për të anuluar', 'there is no decision to undo') };
  }
  return {
    applied: false,
    problem: explain(`nuk u zbatua (kërkesa ${STATUS_SQ[r.status] ?? r.status})`, `not applied (the request is ${r.status.replace(/_/g, ' ')})`),
  };
}
