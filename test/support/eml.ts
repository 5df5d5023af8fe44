import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The decoded body of each part of a multipart .eml, by content type. */
export function emlParts(eml: string): Record<string, string> {
  const boundary = /boundary="([^"]+)"/.exec(eml)?.[1];
  if (!boundary) throw new Error('not multipart');
  const out: Record<string, string> = {};
  for (const chunk of eml.split(`--${boundary}`).slice(1, -1)) {
    const [head = '', ...body] = chunk.replace(/^\r\n/, '').split('\r\n\r\n');
    const type = /Content-Type: ([^;\r\n]+)/.exec(head)?.[1] ?? '';
    const raw = body.join('\r\n\r\n');
    out[type] = /Content-Transfer-Encoding: base64/.test(head) ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  }
  return out;
}

/** The join link in the newest mail written to a mail folder (what the person clicks). */
export function joinLinkFromMail(mailDir: string): string {
  const files = readdirSync(mailDir).filter((f) => f.endsWith('.eml')).sort();
  if (files.length === 0) throw new Error(`no mail in ${mailDir}`);
  const html = emlParts(readFileSync(join(mailDir, files.at(-1)!), 'utf8'))['text/html'] ?? '';
  const link = /href="(https?:\/\/[^"]+\/join\/[^"]+)"/.exec(html)?.[1];
  if (!link) throw new Error('no join link in the mail');
  return link.replace(/&amp;/g, '&');
}
