export { verifyDkim, type DNSResolver } from './dkim.ts';
