import { z } from 'zod';
import type { Explanation } from '../explanation.ts';
import type { Corrections } from '../reply-command.ts';

/** The stored shape of a request (its record, audit, decision), its effects and the events that move it. */

export const REQUEST_STATUSES = [
  'unclear',
  /** A withdrawal waiting for the signatory's registered contact to confirm it. */
  'awaiting_confirmation',
  'pending',
  'info_requested',
  'decided_pending_undo',
  'approved',
  'rejected',
  'expired',
  'not_request',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
/** Statuses a decision acts on. An `unclear` request is not among them: it must be opened first. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'info_requested'];
export const FINAL_STATUSES: readonly RequestStatus[] = ['approved', 'rejected', 'expired', 'not_request'];
/** Statuses of a request that is still under way (the store keeps them in its open set). */
export const LIVE_STATUSES: readonly RequestStatus[] = [
  'pending',
  'info_requested',
  'decided_pending_undo',
  'awaiting_confirmation',
];

/** Why a mail is only a possible request (the reader's `possibleReason`). */
export const POSSIBLE_REASONS = ['weak_wording', 'no_organisation', 'sent_by_machine'] as const;
export type PossibleReason = (typeof POSSIBLE_REASONS)[number];

/**
 * Mails about a possible request carry a token whose nonce starts with "p": a PO in
 * reply to one of them opens the request, and is never counted as an approval, even
 * when another coordinator opened it meanwhile.
 */
export function isPossibleNonce(nonce: string): boolean {
  return /^p\d+$/.test(nonce);
}

/** How a missing field is asked for in an acknowledgement, in the organisation's language. */
export const MISSING_LABELS: Record<string, { sq: string; en: string }> = {
  'organization.name': { sq: 'emri i organizatës', en: "your organisation's name" },
  'contact.name': { sq: 'emri i personit të kontaktit', en: 'the name of a contact person' },
  'contact.email': { sq: 'adresa email e kontaktit', en: 'a contact email address' },
  'organization.city': { sq: 'qyteti ku vepron organizata', en: 'the city where you work' },
};

export function missingLabel(field: string, lang: 'sq' | 'en'): string {
  return MISSING_LABELS[field]?.[lang] ?? field;
}

const nullableString = z.string().nullable();

export const OrganizationSchema = z.object({
  name: nullableString,
  acronym: nullableString,
  city: nullableString,
  website: nullableString,
});
export type Organization = z.infer<typeof OrganizationSchema>;

export const ContactSchema = z.object({ name: nullableString, email: nullableString, phone: nullableString });
export type Contact = z.infer<typeof ContactSchema>;

export const AuditEntrySchema = z.object({
  at: z.string(),
  /** received, acknowledged, approval_requested, approved, rejected, undone, info_requested, corrected, updated, reminded, expired, applied, mail_sent, ignored… */
  event: z.string(),
  by: z.string().nullable().default(null),
  /** Message-ID of the mail that caused it, or 'cli', or 'timer'. */
  via: z.string().nullable().default(null),
  detail: z.string().nullable().default(null),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const DecisionSchema = z.object({
  outcome: z.enum(['approve', 'reject']),
  by: z.array(z.string()),
  at: z.string(),
  via: z.string().nullable(),
  reason: z.string().nullable(),
  shareReason: z.boolean(),
  /** When it takes effect (end of the undo window). */
  effectiveAt: z.string(),
  /** Sequence number; the undo timer carries it so a stale timer does nothing. */
  seq: z.number().int(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const RequestRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(['join', 'withdrawal']),
  status: z.enum(REQUEST_STATUSES),
  organization: OrganizationSchema,
  contact: ContactSchema.nullable(),
  /** Where mail to the organisation goes. */
  replyAddress: z.string(),
  /** The sender's From address (replies from it, or its domain, may update the request). */
  senderAddress: z.string(),
  language: z.enum(['sq', 'en']),
  originalMessageId: z.string().nullable(),
  /** Spool key of the received message (to attach the original when effects are performed after a restart). */
  sourceKey: z.string().nullable().default(null),
  /** Thread of the organisation's mail, for In-Reply-To/References of our answers. */
  references: z.array(z.string()),
  originalSubject: z.string(),
  excerpt: z.string(),
  missing: z.array(z.string()),
  /** Withdrawal: the signatory that asks to leave. */
  signatoryId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  approvals: z.array(z.object({ by: z.string(), at: z.string(), via: z.string().nullable() })),
  decision: DecisionSchema.nullable(),
  /** Result of applying an approval (registry position / statement version). */
  outcome: z.object({ position: z.number().int().nullable(), version: z.number().int().nullable() }).nullable(),
  /** Message-IDs of replies already applied to this request (replay guard). */
  handled: z.array(z.string()),
  reminders: z.number().int(),
  /**
   * Whether our receiving server's Authentication-Results (or our own DKIM check) proved the From
   * address; null when unknown (older records).
   */
  senderVerified: z.boolean().nullable().default(null),
  /** Another address the mail named (Reply-To, the body, a quoted forward): never written to unless a coordinator confirms it. */
  proposedContact: z.string().nullable().default(null),
  /** What the desk knows that looks like it ("same mail domain as REQ-…"), shown to the coordinators. */
  resembles: z.string().nullable().default(null),
  /** Sequence number of the last mail telling the coordinators that the organisation changed its details. */
  orgChangedSeq: z.number().int().nullable().default(null),
  /** Set when the request began as a possible request (status `unclear`). */
  possible: z
    .object({
      reason: z.enum(POSSIBLE_REASONS),
      /** Sent by a machine (RFC 3834): its From is never answered, only the contact it names. */
      automatic: z.boolean(),
      /** Who opened or closed it; null while it is unclear. */
      resolution: z
        .object({
          outcome: z.enum(['opened', 'closed']),
          by: z.string(),
          at: z.string(),
          via: z.string().nullable(),
          /** A closing coordinator's words, kept among coordinators. */
          reason: z.string().nullable(),
        })
        .nullable(),
    })
    .nullable()
    .default(null),
  /** Counter that makes effect ids unique and deterministic. */
  seq: z.number().int(),
  audit: z.array(AuditEntrySchema),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

// ---------------------------------------------------------------- effects

export type CoordinatorTemplate =
  | 'withdrawal_denied'
  | 'possible_request'
  | 'approval_request'
  | 'withdrawal_approval_request'
  | 'decision_echo'
  | 'reminder'
  | 'request_updated'
  | 'already_decided'
  | 'reply_help'
  | 'undone';
export type OrganisationTemplate =
  | 'acknowledgement'
  | 'withdrawal_received'
  | 'withdrawal_confirmation'
  | 'info_request'
  | 'rejected'
  | 'expired'
  | 'approved'
  | 'withdrawal_confirmed';

export interface SendEffect {
  type: 'send';
  /** Idempotency key (letters, digits, . _ -): the outbound job id. */
  key: string;
  template: CoordinatorTemplate | OrganisationTemplate;
  to: string[];
  /** 'org': the request's language; 'coordinators': DEFAULT_LANGUAGE. */
  audience: 'org' | 'coordinators';
  vars: Record<string, unknown>;
  inReplyTo: string | null;
  references: string[];
  autoSubmitted: 'auto-replied' | 'auto-generated';
  /** Put an approval token for this coordinator in the Message-ID (nonce = unique per mail). */
  token: { coordinator: string; nonce: string } | null;
  /** Attach the organisation's original message (approval requests). */
  attachOriginal: boolean;
}

export interface TimerEffect {
  type: 'schedule';
  timer: 'finalize' | 'reminder' | 'expiry';
  /** Deterministic BullMQ job id. */
  jobId: string;
  at: string;
  seq: number;
}

/**
 * Add the organisation to the registry (idempotent by request id), then send `confirm` with position/version
 * filled in; null when nobody can be written to (a possible request opened without a contact address).
 */
export interface AddSignatoryEffect {
  type: 'addSignatory';
  requestId: string;
  organization: Organization;
  contactEmail: string | null;
  approvedBy: string[];
  confirm: SendEffect | null;
}

export interface RemoveSignatoryEffect {
  type: 'removeSignatory';
  requestId: string;
  signatoryId: string;
  approvedBy: string[];
  confirm: SendEffect;
}

export type Effect = SendEffect | TimerEffect | AddSignatoryEffect | RemoveSignatoryEffect;

// ---------------------------------------------------------------- events

export interface FlowSettings {
  coordinators: readonly string[];
  approvalsRequired: number;
  undoWindowMs: number;
  reminderAfterMs: number;
  requestTtlMs: number;
}

export interface Ctx {
  now: Date;
  settings: FlowSettings;
  /**
   * The event comes from a reply to one of the desk's own answers (a help or "already decided" mail):
   * answer it with nothing of the kind, or a coordinator's autoresponder and the desk answer each other for ever.
   */
  quiet?: boolean;
  /** Normalised names of the current signatories: a correction to one of them is refused (the registry would). */
  takenNames?: readonly string[];
  /**
   * The event is one line of a reply to a digest: the decision echo, undo notice and help mails it would send the
   * coordinators are left out, as one summary of the whole reply replaces them (src/domain/digest.ts).
   */
  batch?: boolean;
}

export type FlowEvent =
  | {
      type: 'decide';
      by: string;
      decision: 'approve' | 'reject';
      reason?: string | null;
      shareReason?: boolean;
      corrections?: Corrections;
      via: string;
      /** The token nonce of the mail the reply answers (m12…): tells which version of the request it saw. */
      nonce?: string;
    }
  | { type: 'undo'; by: string; via: string }
  | { type: 'info'; by: string; question: string; via: string }
  | { type: 'correct'; by: string; corrections: Corrections; via: string }
  | { type: 'unclear'; by: string; problem: Explanation; via: string }
  /** A possible request is a join request: it becomes pending (corrections applied first). */
  | { type: 'open'; by: string; corrections?: Corrections; via: string }
  /** A possible request is not a request: nothing is sent to its sender. */
  | { type: 'close'; by: string; reason?: string | null; via: string }
  | { type: 'org_reply'; from: string; organization: Partial<Organization>; via: string }
  /** The signatory's registered contact answers our question whether it asked to withdraw. */
  | { type: 'contact_answer'; from: string; answer: 'confirm' | 'deny' | 'unclear'; via: string }
  | { type: 'timer'; timer: 'finalize' | 'reminder' | 'expiry'; seq: number }
  /** The registry change of an approval was made (records the outcome). */
  | { type: 'applied'; position: number | null; version: number | null };

export interface TransitionResult {
  request: RequestRecord;
  effects: Effect[];
  /** False when the event changed nothing (replay, stale timer). */
  changed: boolean;
}

export interface NewRequestInput {
  id: string;
  kind: 'join' | 'withdrawal';
  organization: Organization;
  contact: Contact | null;
  replyAddress: string;
  senderAddress: string;
  language: 'sq' | 'en';
  originalMessageId: string | null;
  sourceKey?: string | null;
  references: string[];
  originalSubject: string;
  excerpt: string;
  missing: string[];
  signatoryId?: string | null;
  receivedAt: Date;
  senderVerified?: boolean | null;
  proposedContact?: string | null;
  resembles?: string | null;
}

export interface PossibleRequestInput extends Omit<NewRequestInput, 'kind' | 'signatoryId' | 'replyAddress'> {
  /** Who the acknowledgement goes to once opened; null when the mail names no address a person reads. */
  replyAddress: string | null;
  reason: PossibleReason;
  automatic: boolean;
  /** What the desk already knows that looks like it ("signatory 3. …", "pending REQ-…"), for the coordinators. */
  resembles?: string | null;
}
