import type { AuditEntry, RequestRecord } from '../../domain/request.ts';
import {
  renderStatement,
  renderStatementHtml,
  signatoryLine,
  type StatementDocument,
  type StatementVersion,
} from '../../domain/statement.ts';
import { html, type TrustedHtml } from '../../domain/trusted-html.ts';

/**
 * The status pages, rendered on the server. Every value goes through the
 * `html` tagged template, which escapes it (TrustedHtml is the only way to put
 * markup in), so an organisation called `<script>…` is shown as text. The
 * pages carry no script at all, and the Content-Security-Policy forbids one.
 */

export const STYLESHEET = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6574; --line: #d8dde5; --accent: #0b5cad; --warn: #8a4b00; --ok: #1c6b35; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header { background: #12325a; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
header strong { font-size: 17px; }
header a { color: #dbe8ff; text-decoration: none; }
header a:hover { text-decoration: underline; }
main { padding: 16px 24px 40px; max-width: 1200px; }
h1 { font-size: 22px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; font-weight: 600; font-size: 13px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; background: #e6ecf4; }
.tag.unclear, .tag.info_requested { background: #fff0d6; color: var(--warn); }
.tag.decided_pending_undo { background: #e8f0ff; }
.tag.approved { background: #ddf3e3; color: var(--ok); }
.tag.rejected, .tag.expired, .tag.not_request { background: #f4e3e3; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); padding: 10px 12px; }
.card b { display: block; font-size: 13px; color: var(--muted); font-weight: 600; }
.flash { background: #ddf3e3; border: 1px solid #9fd3ad; padding: 8px 12px; }
.error { background: #f9e1e1; border: 1px solid #e0a3a3; padding: 8px 12px; }
pre.diff { background: #fff; border: 1px solid var(--line); padding: 8px; overflow-x: auto; white-space: pre-wrap; }
pre.diff span { display: block; min-height: 1.2em; }
pre.diff .add { background: #ddf3e3; }
pre.diff .del { background: #f9e1e1; }
form.inline { display: inline-block; margin: 4px 12px 4px 0; }
fieldset { border: 1px solid var(--line); background: #fff; margin: 8px 0; }
.statement { background: #fff; border: 1px solid var(--line); padding: 8px 20px; max-width: 860px; }
a { color: var(--accent); }
`;

const STATUS_WORDS: Record<string, string> = {
  unclear: 'possible request',
  pending: 'pending',
  info_requested: 'waiting for the organisation',
  decided_pending_undo: 'decided, undo window open',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  not_request: 'not a request',
};

export function statusTag(status: string): TrustedHtml {
  return html`<span class="tag ${status}">${STATUS_WORDS[status] ?? status}</span>`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** "4 min", "3 h", "2 d" */
export function age(iso: string, now: Date): string {
  const ms = Math.max(0, now.getTime() - new Date(iso).getTime());
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h`;
  return `${Math.floor(ms / 86_400_000)} d`;
}

export function layout(title: string, body: TrustedHtml, o: { nav: boolean; coalitionName: string }): string {
  const nav = o.nav
    ? html`<a href="/">Status</a> <a href="/statement/versions">Statement</a> <a href="/queues">Queues</a>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – ${o.coalitionName}</title>
<link rel="stylesheet" href="/assets/desk.css">
</head>
<body>
<header><strong>${o.coalitionName}</strong>${nav}</header>
<main>
${body}
</main>
</body>
</html>
`.toHTML();
}

// ---------------------------------------------------------------- overview

export interface ProcessView {
  host: string;
  pid: number;
  since: string;
  workers: string[];
  imap: string | null;
  watches: boolean;
}

export interface Overview {
  now: Date;
  mailbox: string;
  waiting: RequestRecord[];
  unclear: RequestRecord[];
  decisions: RequestRecord[];
  current: StatementVersion;
  versions: number;
  lock: { held: boolean; holder: ProcessView | null; ttlMs: number | null };
  processes: ProcessView[];
  queues: { queue: string; state: string; count: number }[];
}

function org(r: RequestRecord): TrustedHtml {
  const o = r.organization;
  const name = o.name ?? o.acronym;
  return html`${name ? html`<span class="org">${name}</span>` : html`<span class="muted">(no name read)</span>`}${o.acronym && o.name ? html` <span class="muted">(${o.acronym})</span>` : ''}`;
}

function fieldsRead(r: RequestRecord): TrustedHtml {
  const o = r.organization;
  const parts = [
    o.city ? `city: ${o.city}` : null,
    o.website ? `website: ${o.website}` : null,
    r.contact?.name ? `contact: ${r.contact.name}` : null,
    r.contact?.phone ? `phone: ${r.contact.phone}` : null,
    `language: ${r.language}`,
  ].filter((p): p is string => p !== null);
  return html`${parts.join(' · ')}${r.missing.length ? html`<br><span class="muted">missing: ${r.missing.join(', ')}</span>` : ''}${
    r.possible ? html`<br><span class="muted">why unsure: ${r.possible.reason.replace(/_/g, ' ')}${r.possible.automatic ? ', sent by a machine' : ''}</span>` : ''
  }`;
}

function requestRows(list: RequestRecord[], now: Date): TrustedHtml {
  if (!list.length) return html`<tr><td colspan="5" class="muted">none</td></tr>`;
  return html`${list.map(
    (r) => html`<tr data-request="${r.id}">
<td><a href="/requests/${r.id}">${r.id}</a><br>${statusTag(r.status)}</td>
<td>${org(r)}<br><span class="muted">${r.replyAddress || 'no address'}</span></td>
<td>${fieldsRead(r)}</td>
<td class="num" title="${when(r.createdAt)}">${age(r.createdAt, now)}</td>
<td>${r.kind}${r.approvals.length ? html`<br><span class="muted">approved by ${r.approvals.map((a) => a.by).join(', ')}</span>` : ''}</td>
</tr>
`,
  )}`;
}

const REQUEST_HEAD = html`<tr><th>request</th><th>organisation</th><th>fields read</th><th>age</th><th>kind</th></tr>`;

export function overviewPage(v: Overview): TrustedHtml {
  const depth = (queue: string, state: string) => v.queues.find((q) => q.queue === queue && q.state === state)?.count ?? 0;
  const queueNames = [...new Set(v.queues.map((q) => q.queue))];
  const holder = v.lock.holder;
  return html`<h1>Status</h1>
<div class="cards">
<div class="card"><b>waiting for a decision</b><span id="count-waiting">${v.waiting.length}</span></div>
<div class="card"><b>possible requests</b><span id="count-unclear">${v.unclear.length}</span></div>
<div class="card"><b>joint statement</b><a href="/statement/versions">version ${v.current.number}</a>, ${v.current.signatories.length} signatories</div>
<div class="card" id="imap"><b>mailbox ${v.mailbox}</b>${
    v.lock.held
      ? holder
        ? html`watched by ${holder.host} pid ${holder.pid}${holder.imap ? html` (IMAP ${holder.imap})` : ''}`
        : html`lock held by a process that does not say who it is`
      : html`<span class="error">no watcher holds the lock</span>`
  }${v.lock.ttlMs !== null ? html`<br><span class="muted">the lock lapses in ${Math.ceil(v.lock.ttlMs / 1000)} s unless its holder renews it</span>` : ''}</div>
</div>

<h2>Waiting for a decision</h2>
<table id="waiting">${REQUEST_HEAD}${requestRows(v.waiting, v.now)}</table>

<h2>Possible requests (open with PO/JOIN, close with JO/NO)</h2>
<table id="unclear">${REQUEST_HEAD}${requestRows(v.unclear, v.now)}</table>

<h2>Recent decisions</h2>
<table id="decisions"><tr><th>request</th><th>organisation</th><th>decision</th><th>by</th><th>when</th><th>now</th></tr>
${
  v.decisions.length
    ? v.decisions.map(
        (r) => html`<tr data-request="${r.id}"><td><a href="/requests/${r.id}">${r.id}</a></td><td>${org(r)}</td>
<td>${r.decision?.outcome === 'approve' ? 'approve' : 'reject'}${r.decision?.reason ? html`<br><span class="muted">${r.decision.shareReason ? 'reason shared' : 'reason kept among coordinators'}: ${r.decision.reason}</span>` : ''}</td>
<td>${r.decision?.by.join(', ')}</td><td>${when(r.decision?.at)}</td><td>${statusTag(r.status)}</td></tr>
`,
      )
    : html`<tr><td colspan="6" class="muted">none yet</td></tr>`
}</table>

<h2>Queues</h2>
<table id="queues"><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr>
${queueNames.map(
  (q) =>
    html`<tr><td>${q}</td><td class="num">${depth(q, 'waiting') + depth(q, 'prioritized')}</td><td class="num">${depth(q, 'active')}</td><td class="num">${depth(q, 'delayed')}</td><td class="num">${depth(q, 'failed')}</td></tr>\n`,
)}</table>
<p class="muted">Jobs one by one: <a href="/queues">Bull Board</a> (read only).</p>

<h2>Processes</h2>
<table id="processes"><tr><th>process</th><th>workers</th><th>IMAP</th><th>since</th></tr>
${
  v.processes.length
    ? v.processes.map(
        (p) =>
          html`<tr><td>${p.host} pid ${p.pid}${p.watches ? html` <span class="tag approved">holds the watcher lock</span>` : ''}</td><td>${p.workers.join(', ')}</td><td>${p.imap ?? '–'}</td><td>${when(p.since)}</td></tr>\n`,
      )
    : html`<tr><td colspan="4" class="muted">none says it runs</td></tr>`
}</table>
`;
}

// ---------------------------------------------------------------- one request

export type WebAction = 'approve' | 'reject' | 'open' | 'close';

export function actionsFor(r: RequestRecord): WebAction[] {
  if (r.status === 'unclear') return ['open', 'close'];
  if (r.status === 'pending' || r.status === 'info_requested') return ['approve', 'reject'];
  return [];
}

function auditRows(audit: AuditEntry[]): TrustedHtml {
  return html`${audit.map(
    (a) => html`<tr><td>${when(a.at)}</td><td>${a.event}</td><td>${a.by ?? ''}</td><td class="muted">${a.via ?? ''}</td><td>${a.detail ?? ''}</td></tr>\n`,
  )}`;
}

const ACTION_WORDS: Record<WebAction, string> = {
  approve: 'Approve',
  reject: 'Reject',
  open: 'Open as a join request',
  close: 'Close: not a request',
};

export function requestPage(r: RequestRecord, o: { now: Date; csrf: string; coordinators: string[]; flash: string | null; error: string | null }): TrustedHtml {
  const c = r.contact;
  const actions = actionsFor(r);
  const options = html`${o.coordinators.map((a) => html`<option value="${a}">${a}</option>`)}`;
  return html`<h1>${r.id} ${statusTag(r.status)}</h1>
${o.flash ? html`<p class="flash">${o.flash}</p>` : ''}${o.error ? html`<p class="error">${o.error}</p>` : ''}
<table id="fields">
<tr><th>organisation</th><td>${org(r)}${r.organization.city ? html` – ${r.organization.city}` : ''}</td></tr>
<tr><th>website</th><td>${r.organization.website ?? '–'}</td></tr>
<tr><th>contact</th><td>${c?.name ?? '–'} &lt;${r.replyAddress || 'no address'}&gt;${c?.phone ? html` · ${c.phone}` : ''}</td></tr>
<tr><th>sender</th><td>${r.senderAddress}</td></tr>
<tr><th>kind, language</th><td>${r.kind}, ${r.language}</td></tr>
<tr><th>received</th><td>${when(r.createdAt)} (${age(r.createdAt, o.now)} ago)${r.status === 'unclear' ? ' · never expires' : html` · expires ${when(r.expiresAt)}`}</td></tr>
<tr><th>subject</th><td>${r.originalSubject}</td></tr>
<tr><th>excerpt</th><td>${r.excerpt}</td></tr>
${r.missing.length ? html`<tr><th>missing</th><td>${r.missing.join(', ')}</td></tr>` : ''}
${r.possible ? html`<tr><th>possible request</th><td>${r.possible.reason.replace(/_/g, ' ')}${r.possible.automatic ? ', sent by a machine' : ''}</td></tr>` : ''}
${r.approvals.length ? html`<tr><th>approvals</th><td>${r.approvals.map((a) => `${a.by} at ${when(a.at)}`).join('; ')}</td></tr>` : ''}
${
  r.decision
    ? html`<tr><th>decision</th><td>${r.decision.outcome} by ${r.decision.by.join(', ')} at ${when(r.decision.at)}, effective ${when(r.decision.effectiveAt)}${
        r.decision.reason ? html`<br>reason (${r.decision.shareReason ? 'shared with the organisation' : 'kept among coordinators'}): ${r.decision.reason}` : ''
      }</td></tr>`
    : ''
}
${r.outcome ? html`<tr><th>statement</th><td>position ${r.outcome.position ?? '–'}, version ${r.outcome.version ?? '–'}</td></tr>` : ''}
</table>
${
  actions.length
    ? html`<h2>Decide here</h2>
<p class="muted">The usual way is a reply to the mail (PO / JO). A decision made here is recorded in the audit trail the same way, and waits the same undo window.</p>
${actions.map(
  (a) => html`<form class="inline" method="post" action="/requests/${r.id}/${a}">
<input type="hidden" name="csrf" value="${o.csrf}">
<fieldset><legend>${ACTION_WORDS[a]}</legend>
<label>as <select name="by">${options}</select></label>
${a === 'reject' || a === 'close' ? html` <label>reason <input name="reason" maxlength="500"></label>` : ''}
${a === 'reject' ? html` <label><input type="checkbox" name="share" value="1"> tell the organisation</label>` : ''}
<button type="submit" name="action" value="${a}">${ACTION_WORDS[a]}</button>
</fieldset>
</form>
`,
)}`
    : ''
}
<h2>Audit trail</h2>
<table id="audit"><tr><th>when</th><th>event</th><th>by</th><th>via</th><th>detail</th></tr>
${auditRows(r.audit)}</table>
`;
}

// ---------------------------------------------------------------- statement

export interface DiffLine {
  op: ' ' | '+' | '-';
  line: string;
}

/** A line diff (longest common subsequence): what was removed from `a` and added in `b`, in order. */
export function lineDiff(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i] as string });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', line: a[i++] as string });
    else out.push({ op: '+', line: b[j++] as string });
  }
  while (i < n) out.push({ op: '-', line: a[i++] as string });
  while (j < m) out.push({ op: '+', line: b[j++] as string });
  return out;
}

function changeText(v: StatementVersion): string {
  const s = v.change.signatory;
  if (v.change.type === 'founded') return 'the founding statement';
  const who = s ? signatoryLine(s) : 'an organisation';
  const by = v.change.approvedBy.length ? `, approved by ${v.change.approvedBy.join(', ')}` : '';
  return `${v.change.type === 'joined' ? 'joined' : 'left'}: ${who}${by}`;
}

export function versionsPage(
  versions: StatementVersion[],
  doc: StatementDocument,
  o: { joinAddress: string; from: StatementVersion | null; to: StatementVersion },
): TrustedHtml {
  const text = (v: StatementVersion) => renderStatement(doc, v, 'text', { joinAddress: o.joinAddress }).trimEnd().split('\n');
  const diff = o.from ? lineDiff(text(o.from), text(o.to)) : [];
  const changed = diff.filter((d) => d.op !== ' ');
  // Changed lines with one line of context either side.
  const near = (k: number): boolean => diff[k] !== undefined && diff[k].op !== ' ';
  const newest = [...versions].reverse();
  return html`<h1>Joint statement, version ${o.to.number}</h1>
<p class="muted">${o.to.signatories.length} signatories · ${when(o.to.date)} · ${changeText(o.to)}</p>

<h2>Versions</h2>
<table id="versions"><tr><th>version</th><th>date</th><th>change</th><th>signatories</th><th></th></tr>
${newest.map(
  (v) =>
    html`<tr><td><a href="/statement/versions?to=${v.number}">v${v.number}</a></td><td>${when(v.date)}</td><td>${changeText(v)}</td><td class="num">${v.signatories.length}</td><td>${
      v.number > 1 ? html`<a href="/statement/versions?from=${v.number - 1}&amp;to=${v.number}">diff with v${v.number - 1}</a>` : ''
    }</td></tr>\n`,
)}</table>

${
  o.from
    ? html`<h2>Changes from version ${o.from.number} to version ${o.to.number}</h2>
<pre class="diff" id="diff">${changed.length ? diff.filter((d, i) => d.op !== ' ' || near(i - 1) || near(i + 1)).map((d) => html`<span class="${d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same'}">${d.op} ${d.line}</span>`) : 'no change'}</pre>`
    : ''
}

<h2>The statement</h2>
<div class="statement" id="statement">${renderStatementHtml(doc, o.to, { joinAddress: o.joinAddress })}</div>
`;
}

export function publicStatementPage(doc: StatementDocument, v: StatementVersion, o: { joinAddress: string }): TrustedHtml {
  return html`<div class="statement" id="statement">${renderStatementHtml(doc, v, { joinAddress: o.joinAddress })}</div>
<p class="muted">Version ${v.number} of ${when(v.date)} · ${v.signatories.length} signatories · <a href="/statement.json">as JSON</a></p>
`;
}

/** The public JSON: the statement's version and its signatories, without contact addresses. */
export function statementJson(v: StatementVersion) {
  return {
    version: v.number,
    date: v.date,
    signatories: v.signatories.map((s, i) => ({
      position: i + 1,
      name: s.name,
      acronym: s.acronym,
      city: s.city,
      website: s.website,
      joinedAt: s.joinedAt,
      line: signatoryLine(s),
    })),
  };
}
