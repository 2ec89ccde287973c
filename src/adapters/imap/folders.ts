import type { ImapFlow } from 'imapflow';

/**
 * Folder names in the settings use "/" between levels (Coalition/Processed).
 * Servers differ: Dovecot with Maildir uses ".", others "/", some put every
 * folder under a namespace prefix such as "INBOX." (RFC 2342). The path sent to
 * the server is built from the parts with the server's own delimiter.
 */
export function serverPath(configured: string, ns: { delimiter: string; prefix?: string }): string {
  const parts = configured
    .split('/')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 1 && parts[0]?.toUpperCase() === 'INBOX') return 'INBOX';
  const path = parts.join(ns.delimiter || '/');
  const prefix = ns.prefix ?? '';
  return prefix && !path.startsWith(prefix) ? prefix + path : path;
}

export interface FolderNames {
  processed: string;
  ignored: string;
  quarantine: string;
}

/** Filed in one of the folders, or 'leave': left in the watched mailbox as it arrived. */
export type Disposition = keyof FolderNames | 'leave';

/** Server path a message of this disposition ends in: its folder, or the watched mailbox itself. */
export function placeOf(d: Disposition, folders: FolderNames, mailbox: string): string {
  return d === 'leave' ? mailbox : folders[d];
}

/** The server's delimiter and personal-namespace prefix (from NAMESPACE, else LIST). */
export async function namespaceOf(client: ImapFlow): Promise<{ delimiter: string; prefix: string }> {
  const ns = client.namespace;
  if (ns?.delimiter) return { delimiter: ns.delimiter, prefix: ns.prefix ?? '' };
  const inbox = (await client.list()).find((m) => m.path.toUpperCase() === 'INBOX');
  return { delimiter: inbox?.delimiter ?? '/', prefix: '' };
}

/** Maps the configured names to server paths and creates the folders that are missing. */
export async function ensureFolders(client: ImapFlow, names: FolderNames): Promise<FolderNames> {
  const ns = await namespaceOf(client);
  const paths: FolderNames = {
    processed: serverPath(names.processed, ns),
    ignored: serverPath(names.ignored, ns),
    quarantine: serverPath(names.quarantine, ns),
  };
  const existing = new Set((await client.list()).map((m) => m.path));
  for (const path of new Set(Object.values(paths))) {
    // CREATE makes the missing parents too (RFC 3501 §6.3.3) on servers with a hierarchy.
    if (!existing.has(path)) await client.mailboxCreate(path);
  }
  return paths;
}
