import { isMachineAddress, isMailSystem, type MailInput } from '../mail.ts';
import { fold } from './text.ts';

/**
 * Machine-generated mail: delivery status notifications, auto-replies, lists.
 * The service must never answer these (RFC 3834 section 2; RFC 3464 DSNs use a
 * null return path), so isAutomatic() leans towards true on any clear signal.
 */

const DAEMON_NAME = /\b(?:mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|microsoft outlook|mail administrator at)\b/i;
const BOUNCE_SUBJECT =
  /\b(?:undeliver(?:ed|able)|delivery status notification|delivery (?:has )?failed|(?:failed|failure) (?:delivery|notice)|delivery (?:failure|problem|error)s?|returned mail|mail (?:delivery )?failed|return(?:ed|ing) to sender|could not be delivered|not delivered|delivery delayed|delayed mail|delivery notification|nondeliverable|non-delivery|errors from|warning: could not send|abuse report|complaint about (?:a )?message|spam (?:complaint|report)|feedback report|mesazh(?:i)? (?:i )?pa ?dor[eë]zuar|nuk u dor[eë]zua|d[eë]shtim (?:n[eë] )?dor[eë]zim)/i;
const BOUNCE_BODY =
  /(?:could not be delivered|was not delivered|(?:unable|failed) to deliver|error (?:while )?delivering|delivery (?:to the following recipients? )?(?:has )?failed|undeliverable|permanent(?:ly)? (?:error|fatal|failure)|user unknown|unknown user|mailbox (?:unavailable|full|not found)|quota exceeded|recipient address rejected|no such (?:user|recipient|mailbox)|this is the mail system|delivery status notification|message not delivered|(?:original message|message headers?|transcript of session|message log|failed addresses|message text) follows?|not going to try again|^(?:final-recipient|diagnostic-code|action|status|reporting-mta|remote-mta)\s*:|notificationtype\W+bounce|bouncetype|\b5\.\d{1,3}\.\d{1,3}\b|\b[45]\d\d[ -]#?[45]\.\d{1,3}\.\d{1,3}\b|\b4\.\d\.\d+\b.*(?:delay|deferred|retry))/im;
/** "Automatic reply:", "Out of Office", "Përgjigje automatike:", ... at the start of the subject. */
const AUTO_SUBJECT =
  /^\s*(?:(?:re|aw|sv|vs|odp|fw|fwd)\s*:\s*)?(?:\[?(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort|risposta|respuesta)|autoreply|auto|out of (?:the )?office|ooo|on vacation|vacation reply|away from (?:the )?office|abwesend|abwesenheitsnotiz|automatische antwort|absence|r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|p[eë]rgjigje automatike|p[eë]rgjigj[eë] automatike|pergjigje automatike|p[eë]rgjigje e automatizuar|jam jasht[eë] zyr[eë]s|jasht[eë] zyr[eë]s|n[eë] pushim|me leje|mesazh automatik|njoftim automatik)\]?\s*(?::|-|–|\]|$))/i;
/** A reply or forward prefix a person's client writes in front of what it answers. */
const HUMAN_PREFIX = /^\s*(?:re|aw|sv|vs|odp|fw|fwd|tr|wg|rv|p[eë]rgj|p[eë]r)\s*:/i;
const AUTO_SUBJECT_ANYWHERE =
  /\b(?:out of (?:the )?office|automatic reply|auto-?reply|autoresponder|jam jasht[eë] zyr[eë]s|p[eë]rgjigje automatike|pergjigje automatike)\b/i;

/**
 * Wording of out-of-office and "message received" answers, on folded text. Each
 * pattern is one way of saying "I am not here / a machine answered": being away,
 * coming back, limited access to mail, who to contact meanwhile.
 */
const AUTO_BODY = [
  /\b(?:i am|i'm|i will be|we are|i shall be|i'll be) (?:currently |now )?(?:out of (?:the )?office|away|absent|off work|on (?:annual |sick |maternity |paternity |parental |study )?leave|on vacation|on holidays?|travell?ing|on (?:a )?mission|on a business trip|attending|unavailable|not (?:in|at) (?:the|my) (?:office|desk))\b/,
  /\bout of (?:the )?office\b/,
  /\b(?:limited|no|restricted|intermittent|reduced|occasional) access to (?:my )?(?:e-?mails?|internet|the internet)\b/,
  /\b(?:upon|after|on) my return\b/,
  /\b(?:during|in) my absence\b/,
  /\bwill (?:reply|respond|get back to you|answer|read)\b.*\b(?:return|soon as possible|asap|back)\b/,
  /\b(?:will be|i'll be|i am|i'm) back (?:in (?:the|my) office |at (?:my|the) desk |at work )?(?:on|from|in|after|by|next|tomorrow|monday|tuesday|wednesday|thursday|friday)\b/,
  /\b(?:back in (?:the|my) office|returning to (?:the|my) office|return to the office)\b/,
  /\b(?:away|out|absent|off|travell?ing|on leave) (?:from [\w ]{1,20} )?(?:until|till|through)\b/,
  /\bthis is an automatic(?:ally generated)? (?:reply|response|message|notification)\b/,
  /\b(?:automatic(?:ally)? (?:reply|response|generated)|auto-?reply|autoresponder)\b/,
  /\b(?:we have|we've) received your (?:message|e-?mail|request|inquiry|enquiry)\b.*\b(?:ticket|reference|respond|get back)\b/,
  /\bticket (?:number|#|id|no)\b/,
  /\bjam (?:me leje|me pushime|ne pushime|ne pushim|jashte zyres|jashte vendit|ne mision|larg zyres|ne udhetim|ne leje|ne mungese|i zene jashte)\b/,
  /\bjashte zyres\b/,
  /\b(?:me|ne) pushime\b|\bne leje (?:vjetore|lindjeje|mjekesore|te zakonshme|zakonshme)\b/,
  /\b(?:pas kthimit|me t'u kthyer|kur te kthehem|pasi te kthehem|do te kthehem|kthehem ne zyre|do te jem (?:perseri |prape |sersish )?(?:ne zyre|ne dispozicion))\b/,
  /\bnuk (?:jam|do te jem) (?:ne zyre|i disponueshem|e disponueshme|ne dispozicion)\b/,
  /\b(?:gjate mungeses sime|ne mungese(?:n)? time)\b/,
  /\b(?:kjo eshte|ky eshte) (?:nje )?(?:pergjigje|mesazh) automatik/,
  /\bpergjigje automatike\b/,
  /\b(?:akses|qasje) (?:te )?(?:kufizuar|te pakte|te rralle) (?:ne|te|me) (?:email|e-?mail|poste|internet)/,
  /\bdo t'?(?:ju|i) (?:pergjigjem|pergjigjemi|kthej(?:me)? pergjigje|kontaktoj(?:me)?)\b/,
  /\b(?:kemi marre|morem|kemi pranuar) (?:mesazhin|emailin|e-?mailin|kerkesen|letren) (?:tuaj|tende)\b|\b(?:mesazhi|emaili|kerkesa) (?:juaj|yt|jote) (?:u mor|u pranua|eshte marre|eshte pranuar|u regjistrua)\b/,
  /\byour (?:message|e-?mail|request|enquiry|inquiry) (?:has been|was|is being) (?:received|registered|logged|forwarded)\b|\bwe will (?:get back to you|respond|reply|answer|contact you) (?:as soon as|shortly|within|soon)\b/,
  /\b(?:i|she|he) (?:no longer works?|am no longer with|is no longer with) (?:at|for|with|in)?\b|\bnuk (?:punoj|punon) me (?:ne|prane|per)\b/,
  /\bemaili (?:juaj )?do te lexohet\b/,
  /\b(?:mesazh|pergjigje|email|njoftim)\w* (?:i |e )?(?:gjeneruar|derguar|krijuar|dhene) automatik\w*|\bgjeneruar automatikisht\b/,
  /\b(?:kerkesa|mesazhi|emaili|letra) (?:juaj|jote|yt) (?:eshte |u )(?:regjistrua|regjistruar|marre|pranuar|perc\w*)\b|\bme numrin #?\d|\bbilet(?:a|en|es|ës)\b/,
  /\b(?:per ceshtje|ne rast(?:e)?) (?:urgjente|te ngutshme|emergjente|urgjence)\b/,
  /\b(?:for|in case of) (?:urgent|pressing|immediate|time-sensitive) (?:matters|issues|questions|requests|enquiries|inquiries|cases|assistance)\b|\bif (?:your (?:matter|request|message) is|it is) urgent\b|\bfor anything urgent\b/,
];

export interface AutomaticSignals {
  /** A delivery status notification (bounce or delay). */
  dsn: boolean;
  /** An RFC 3834 or vendor auto-reply header (Auto-Submitted: auto-replied, X-Autoreply...). */
  autoReplyHeader: boolean;
  /** Auto-Submitted other than "no", or auto-generated notices. */
  autoSubmitted: boolean;
  /** Precedence bulk/junk/list, List-Id, List-Unsubscribe: mass mail. */
  bulk: boolean;
  /** A localised auto-reply subject prefix. */
  autoSubject: boolean;
  /** Return-Path: <> (RFC 5321 null reverse-path). */
  nullSender: boolean;
  /** An MDN (read receipt), RFC 8098. */
  receipt: boolean;
}

function values(mail: MailInput, name: string): string[] {
  return mail.headers[name] ?? [];
}

/** A mail system's local part or name: such a sender only ever reports on other mail. */
function fromMailSystem(mail: MailInput): boolean {
  const from = mail.from[0];
  if (!from) return false;
  const local = from.address.split('@')[0] ?? '';
  return isMailSystem(local) || DAEMON_NAME.test(from.name) || DAEMON_NAME.test(local);
}


/**
 * A delivery status notification or a mail system's report (RFC 3464 DSN, RFC 5965 ARF abuse
 * report), decided by structure first: a report part, a mail system as sender, a null sender; then
 * by the wording mail systems use when they write a DSN as plain text.
 */
export function isDsn(mail: MailInput): boolean {
  const ct = mail.contentType.toLowerCase();
  if (ct.startsWith('multipart/report') && /report-type=(?:"?)(?:delivery-status|global-delivery-status|feedback-report)/.test(ct)) return true;
  if (mail.attachments.some((a) => /^message\/(?:global-)?(?:delivery-status|feedback-report)/.test(a.contentType))) return true;
  const text = mail.text.slice(0, 5000);
  const subject = BOUNCE_SUBJECT.test(mail.subject);
  const body = BOUNCE_BODY.test(text);
  const returned = mail.attachments.some((a) => a.isMessage);
  if (fromMailSystem(mail) && (subject || body || returned || mail.subject.trim() === '')) return true;
  const nullSender = (mail.headers['return-path'] ?? []).some((v) => /^<?\s*>?$/.test(v.trim()) || /^<?mailer-daemon>?$/i.test(v.trim()));
  // No From at all ("MAILER-DAEMON <>"), or a null reverse-path: only a mail system writes that.
  if ((nullSender || mail.from.length === 0) && (subject || body)) return true;
  if (subject && (body || returned)) return true;
  // Sending services' notices (a JSON or text body about a bounce, a complaint or a delivery).
  if (isMachineAddress(mail.from[0]?.address ?? '') && /\bbounce|\bdelivery\b|diagnostic|complain/i.test(text) && (body || /^\s*[{[]/.test(text))) return true;
  return false;
}

export function automaticSignals(mail: MailInput): AutomaticSignals {
  const autoSubmitted = values(mail, 'auto-submitted').some((v) => v.trim() !== '' && !/^no\b/i.test(v.trim()));
  const autoReplyHeader =
    values(mail, 'auto-submitted').some((v) => /auto-replied/i.test(v)) ||
    ['x-autoreply', 'x-autorespond', 'x-auto-reply', 'x-autoresponder', 'x-mail-autoreply', 'x-vacation', 'x-autoreply-from'].some((h) =>
      values(mail, h).some((v) => !/^(?:no|false|0)$/i.test(v.trim())),
    ) ||
    values(mail, 'precedence').some((v) => /auto[_-]?reply/i.test(v)) ||
    values(mail, 'x-autogenerated').some((v) => /reply/i.test(v)) ||
    values(mail, 'x-ms-exchange-generated-message-source').length > 0;
  const bulk =
    values(mail, 'precedence').some((v) => /^(?:bulk|junk|list)\b/i.test(v.trim())) ||
    values(mail, 'list-id').length > 0 ||
    values(mail, 'list-unsubscribe').length > 0 ||
    values(mail, 'x-campaign').length > 0 ||
    values(mail, 'feedback-id').length > 0;
  const returnPath = values(mail, 'return-path');
  const nullSender = returnPath.length > 0 && returnPath.every((v) => /^<?\s*>?$/.test(v.trim()));
  const ct = mail.contentType.toLowerCase();
  const receipt = ct.startsWith('multipart/report') && /report-type=(?:"?)disposition-notification/.test(ct);
  return {
    dsn: isDsn(mail),
    autoReplyHeader,
    autoSubmitted,
    bulk,
    // "Re: Automatic reply: …" is a person answering an auto-reply: a machine never writes the Re: first.
    autoSubject: !HUMAN_PREFIX.test(mail.subject) && (AUTO_SUBJECT.test(mail.subject) || AUTO_SUBJECT_ANYWHERE.test(mail.subject)),
    nullSender,
    receipt,
  };
}

/**
 * True when the message was generated by a machine and must never be answered:
 * RFC 3834 Auto-Submitted (anything but "no"), vendor auto-reply headers,
 * Precedence bulk/junk/list/auto_reply, list headers, a null return path,
 * DSNs and MDNs, and localised auto-reply subjects. X-Auto-Response-Suppress
 * alone is NOT a signal: Outlook puts it on ordinary mail (meeting requests,
 * messages sent by some add-ins); it asks others not to auto-reply.
 */
export function isAutomatic(mail: MailInput): boolean {
  return anyAutomatic(automaticSignals(mail));
}

export function anyAutomatic(s: AutomaticSignals): boolean {
  return s.dsn || s.autoReplyHeader || s.autoSubmitted || s.bulk || s.autoSubject || s.nullSender || s.receipt;
}

/** How many auto-reply phrasings the (own) text contains; folded matching. */
export function autoReplyWording(text: string): number {
  const f = fold(text.slice(0, 4000));
  return AUTO_BODY.reduce((n, re) => n + (re.test(f) ? 1 : 0), 0);
}

/** True when one sentence says "I am away / a machine answered" (its words then say nothing about joining). */
export function isAutoReplySentence(sentence: string): boolean {
  const f = fold(sentence);
  return AUTO_BODY.some((re) => re.test(f));
}
