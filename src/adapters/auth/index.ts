export { verifyDkim, type DNSResolver } from './dkim.ts';
export { rawHeaderValues } from './headers.ts';
