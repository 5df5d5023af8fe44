import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { emlParts } from '../support/eml.js';
import { join } from 'node:path';
import { cli, tempDir, testEnv } from '../support/harness.js';

interface Created {
  invitation: { id: string; email: string; status: string };
  link: string;
  mailed: boolean;
}

const parts = emlParts;

describe('invitations and links CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    dir = tempDir();
    env = testEnv(dir, { IDSYNC_PUBLIC_URL: 'https://people.example.com' });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when an invitation is created with the CLI, then an .eml with the link in both bodies lands in DATA_DIR/mail and the link can be copied', async () => {
    const org = await cli(env, dir, 'orgs', 'create', '--name', 'Acme Corp', '--json');
    expect(org.code).toBe(0);
    const orgId = org.json<{ id: string }>().id;
    const created = await cli(env, dir, 'invites', 'create', '--org', orgId, '--email', 'ada@example.com', '--first', 'Ada', '--role', 'admin', '--json');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const r = created.json<Created>();
    expect(r.link).toMatch(/^https:\/\/people\.example\.com\/join\/idsync_inv_[A-Za-z0-9_-]{43}$/);
    expect(r.mailed).toBe(true);

    const mailDir = join(dir, 'mail');
    const files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    expect(statSync(join(mailDir, files[0]!)).mode & 0o077).toBe(0);
    const eml = readFileSync(join(mailDir, files[0]!), 'utf8');
    expect(eml).toMatch(/^From: idsync <no-reply@people\.example\.com>\r\nTo: ada@example\.com\r\nSubject: .*Acme Corp/);
    expect(eml).toContain('Content-Type: multipart/alternative;');
    const bodies = parts(eml);
    expect(Object.keys(bodies).sort()).toEqual(['text/html', 'text/plain']);
    for (const body of Object.values(bodies)) {
      expect(body).toContain(r.link);
      expect(body).toContain('Acme Corp');
      expect(body).toContain('admin');
    }

    const copied = await cli(env, dir, 'invites', 'link', r.invitation.id, '--org', orgId);
    expect(copied.stdout.trim()).toBe(r.link);
    const listed = await cli(env, dir, 'invites', 'list', '--org', orgId, '--status', 'pending', '--json');
    expect(listed.json<{ id: string }[]>().map((i) => i.id)).toEqual([r.invitation.id]);
    const resent = await cli(env, dir, 'invites', 'resend', r.invitation.id, '--org', orgId, '--json');
    expect(resent.json<Created>().link).not.toBe(r.link);
    expect(readdirSync(mailDir).filter((f) => f.endsWith('.eml'))).toHaveLength(2);
    const revoked = await cli(env, dir, 'invites', 'revoke', r.invitation.id, '--org', orgId, '--json');
    expect(revoked.json<{ status: string }>().status).toBe('revoked');
    const again = await cli(env, dir, 'invites', 'link', r.invitation.id, '--org', orgId, '--json');
    expect(again.code).toBe(1);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('invite.revoked');
  });

  it('when a link is created, rotated and revoked with the CLI, then each step is reflected in links list', async () => {
    const orgId = (await cli(env, dir, 'orgs', 'create', '--name', 'Acme', '--json')).json<{ id: string }>().id;
    const created = await cli(env, dir, 'links', 'create', '--org', orgId, '--expires', '7d', '--max-uses', '3', '--domain', 'example.com', '--json');
    expect(created.code).toBe(0);
    const { link, url } = created.json<{ link: { id: string; expiresAt: string; createdAt: string }; url: string }>();
    expect(url).toMatch(/\/join\/idsync_link_/);
    expect(Date.parse(link.expiresAt) - Date.parse(link.createdAt)).toBe(7 * 24 * 3_600_000);
    const rotated = await cli(env, dir, 'links', 'rotate', link.id, '--org', orgId, '--json');
    expect(rotated.json<{ url: string }>().url).not.toBe(url);
    expect((await cli(env, dir, 'links', 'revoke', link.id, '--org', orgId)).code).toBe(0);
    const listed = await cli(env, dir, 'links', 'list', '--org', orgId, '--json');
    expect(listed.json<{ id: string; state: string; maxUses: number }[]>()).toEqual([expect.objectContaining({ id: link.id, state: 'revoked', maxUses: 3 })]);
    expect((await cli(env, dir, 'links', 'create', '--org', orgId, '--expires', 'soon')).code).toBe(1);
  });
});
