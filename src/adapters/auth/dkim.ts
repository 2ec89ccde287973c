import { dkimVerify, type DNSResolver } from 'mailauth';
import type { DkimEvidence } from '../../domain/coordinator-auth.ts';

export type { DNSResolver };

/**
 * Verifies every DKIM signature of a raw message with mailauth 4 and returns
 * plain evidence for the pure rules in src/domain/coordinator-auth.ts.
 * The resolver is injectable so tests (and air-gapped setups) serve the keys;
 * without one, mailauth uses the system DNS.
 */
export async function verifyDkim(raw: Buffer | string, resolver?: DNSResolver): Promise<DkimEvidence[]> {
  const res = await dkimVerify(typeof raw === 'string' ? Buffer.from(raw) : raw, resolver ? { resolver } : {});
  // An unsigned message yields one result 'none' without a signing domain: no signature at all.
  return res.results
    .filter((r) => Boolean(r.signingDomain))
    .map((r) => {
      const keys = (r as { signingHeaders?: { keys?: string } }).signingHeaders?.keys ?? '';
      return {
        result: String(r.status?.result ?? 'none'),
        signingDomain: (r.signingDomain ?? '').toLowerCase(),
        signedHeaders: keys
          .split(/[:\s]+/)
          .map((k) => k.trim().toLowerCase())
          .filter(Boolean),
      };
    });
}
