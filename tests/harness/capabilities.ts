import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dovecot } from '../../src/devstack/dovecot.ts';

/** What Dovecot 2.3 advertises after login, less MOVE (RFC 6851) and UIDPLUS (RFC 4315). */
export const WITHOUT_MOVE_OR_UIDPLUS =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE URLAUTH ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE LITERAL+ NOTIFY';
export const WITHOUT_MOVE = `${WITHOUT_MOVE_OR_UIDPLUS} UIDPLUS`;

const original = new WeakMap<Dovecot, string>();

/**
 * Restarts this Dovecot advertising only `capability` after login (its
 * `imap_capability` setting), as an older or stricter server would; null
 * restores the defaults. The mail, users and ports stay.
 */
export async function advertise(dovecot: Dovecot, capability: string | null): Promise<void> {
  const file = join(dovecot.runDir, 'dovecot.conf');
  if (!original.has(dovecot)) original.set(dovecot, readFileSync(file, 'utf8'));
  const base = original.get(dovecot) as string;
  await dovecot.halt();
  writeFileSync(file, capability === null ? base : `${base}protocol imap {\n  imap_capability = ${capability}\n}\n`);
  await dovecot.resume();
}
