/**
 * The mailer worker: sends what the `outbound` queue holds, once each.
 * `coalition start` calls startMailer(); close() stops taking jobs, lets the
 * running sends finish, then closes the SMTP pool.
 */
export { startMailer, type Mailer, type MailerOptions } from '../src/adapters/smtp/mailer.ts';
