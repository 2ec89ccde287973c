/**
 * The values of one header field exactly as received, top to bottom: unfolded
 * (RFC 5322 §2.2.3) but NOT decoded. Authentication-Results must be read like
 * this: our receiving server copies sender-controlled text into it (HELO,
 * MAIL FROM), and decoding an RFC 2047 encoded word there would let that text
 * turn into a forged "; dkim=pass …" result (RFC 8601 §2.2 defines no encoded words).
 */
export function rawHeaderValues(raw: Buffer | string, name: string): string[] {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const field of head.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    if (field.slice(0, colon).trim().toLowerCase() !== wanted) continue;
    out.push(
      field
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  return out;
}
