import type { MailInput } from '../mail.ts';
import { fold } from './text.ts';

/**
 * Lures: mail that borrows the coalition's words ("sign the statement", "you
 * will be removed from the list") to make the reader click or log in. A
 * careful coordinator recognises them by several independent signs together,
 * never by one: a sender whose authentication failed, a link whose visible
 * address is not where it leads, the vocabulary of e-signature and credential
 * lures, and a threat or deadline. Two different signs make a message a lure;
 * a lure is never a join request or a withdrawal.
 */

/** Authentication-Results / Received-SPF verdicts that say the sender is not who it claims. */
function authenticationFailed(mail: MailInput): boolean {
  const results = mail.headers['authentication-results'] ?? [];
  if (results.some((v) => /\b(?:spf|dmarc|dkim)\s*=\s*(?:fail|softfail)\b/i.test(v))) return true;
  return (mail.headers['received-spf'] ?? []).some((v) => /^\s*(?:fail|softfail)\b/i.test(v));
}

/** Electronic-signature, shared-document and credential lures, folded. */
const LURE =
  /\b(?:docu-?sign|adobe sign|e-?signature (?:request|platform)|sent you (?:a|an|the) (?:document|file|envelope)|shared (?:a|an|the) (?:document|file) with you|review (?:and|&) sign|secure (?:link|document|portal)|verify your (?:account|identity|e-?mail|mailbox|password|credentials)|confirm your (?:account|password|credentials|identity|mailbox)|(?:log ?in|logging in|sign in|signing in) (?:to|with|at|on) (?:your|the (?:portal|platform|link))|by (?:logging|signing) in|update your (?:account|details|credentials|membership details)|your (?:password|credentials)|mailbox (?:is )?(?:full|over quota|almost full)|click (?:here|the (?:link|button) below) to|fjalekalim\w*|kredencial\w*|verifiko(?:ni)? (?:llogarin|adres)\w*|kliko(?:ni)? (?:ketu|linkun|butonin))\b/;

/** A threat or an artificial deadline attached to an action the reader must take. */
const THREAT =
  /\b(?:(?:or|otherwise) (?:you|your [\w-]+(?: [\w-]+)?|it|they) (?:will|may|shall) be (?:removed|suspended|deleted|excluded|deactivated|closed|disabled)|will be (?:removed|suspended|deleted|excluded|deactivated|disabled)(?: from [\w ]{1,40})? (?:automatically|permanently|immediately|without (?:further )?notice)|to (?:remain|stay|continue to be) (?:listed|active|a member|a signatory|on the list)|within (?:12|24|48|72) hours|unsigned (?:organi[sz]ations|members|signatories)|perndryshe (?:do te|organizata)|do te (?:hiqeni|hiqet automatikisht|fshihet|pezullohet|c'?aktivizohet))\b/;

const ANCHOR = /<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>([\s\S]{0,300}?)<\/a>/gi;
const DOMAIN_TEXT = /^(?:https?:\/\/)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/?#:].*)?$/i;

function hostOf(url: string): string | null {
  const m = /^(?:[a-z][a-z0-9+.-]*:)?\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(url.trim());
  return m ? m[1]!.toLowerCase().replace(/^www\./, '') : null;
}

/** A link that shows one address and leads to another domain. */
function disguisedLink(html: string | null): boolean {
  if (!html) return false;
  ANCHOR.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ANCHOR.exec(html.slice(0, 200_000))) !== null) {
    const visible = m[2]!
      .replace(/<[^>]*>/g, '')
      .replace(/&nbsp;|\s+/g, ' ')
      .trim();
    const shown = DOMAIN_TEXT.exec(visible)?.[1]?.toLowerCase().replace(/^www\./, '');
    const target = hostOf(m[1]!.replace(/&amp;/g, '&'));
    if (!shown || !target) continue;
    if (target === shown || target.endsWith(`.${shown}`) || shown.endsWith(`.${target}`)) continue;
    return true;
  }
  return false;
}

export interface PhishingSigns {
  authenticationFailed: boolean;
  disguisedLink: boolean;
  lure: boolean;
  threat: boolean;
}

export function phishingSigns(mail: MailInput, ownText: string): PhishingSigns {
  const f = fold(`${mail.subject}\n${ownText}`.slice(0, 8000));
  return {
    authenticationFailed: authenticationFailed(mail),
    disguisedLink: disguisedLink(mail.html),
    lure: LURE.test(f),
    threat: THREAT.test(f),
  };
}

/** Two independent signs of a lure. */
export function looksLikePhishing(mail: MailInput, ownText: string): boolean {
  const s = phishingSigns(mail, ownText);
  return [s.authenticationFailed, s.disguisedLink, s.lure, s.threat].filter(Boolean).length >= 2;
}
