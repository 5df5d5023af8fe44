import { describe, expect, it } from '@jest/globals';
import { checkGoogleMessage, googleHint } from '../../src/services/notifications/messages.js';
import type { ChannelState } from '../../src/services/notifications/state.js';

/** Tokens "sealed" as `sealed:{token}` here: the check only needs something to open. */
const open = (sealed: string) => (sealed.startsWith('sealed:') ? sealed.slice('sealed:'.length) : undefined);
const channel = (over: Partial<ChannelState> = {}): ChannelState => ({ event: 'update', id: 'ch-1', tokenSealed: 'sealed:tok', address: 'https://x/hooks/google/c', openedAt: '2026-12-04T00:00:00.000Z', resourceId: 'res-1', ...over });
const headers = (over: Record<string, string | undefined> = {}) => {
  const h: Record<string, string | undefined> = { 'x-goog-channel-id': 'ch-1', 'x-goog-channel-token': 'tok', 'x-goog-resource-id': 'res-1', 'x-goog-resource-state': 'update', 'x-goog-message-number': '7', ...over };
  return (name: string) => h[name];
};

describe('a Google push message checked against the connection channels', () => {
  it('when the channel id, token and resource id match, then it is a message to act on', () => {
    expect(checkGoogleMessage(headers(), [channel()], open)).toMatchObject({ kind: 'message', state: 'update', number: '7', channel: { id: 'ch-1' } });
  });

  it('when the channel is unknown, the token missing, wrong or unopenable, or the resource another, then it is refused with its reason', () => {
    expect(checkGoogleMessage(headers({ 'x-goog-channel-id': 'ch-2' }), [channel()], open)).toEqual({ kind: 'refused', outcome: 'unknown_channel', status: 404 });
    expect(checkGoogleMessage(headers({ 'x-goog-channel-id': undefined }), [channel()], open)).toMatchObject({ outcome: 'unknown_channel' });
    expect(checkGoogleMessage(headers({ 'x-goog-channel-token': undefined }), [channel()], open)).toEqual({ kind: 'refused', outcome: 'unsigned', status: 401 });
    expect(checkGoogleMessage(headers({ 'x-goog-channel-token': 'tok2' }), [channel()], open)).toEqual({ kind: 'refused', outcome: 'forged', status: 403 });
    expect(checkGoogleMessage(headers(), [channel({ tokenSealed: 'other-key' })], open)).toMatchObject({ outcome: 'forged' });
    expect(checkGoogleMessage(headers({ 'x-goog-resource-id': 'res-2' }), [channel()], open)).toMatchObject({ outcome: 'forged' });
    expect(checkGoogleMessage(headers({ 'x-goog-message-number': 'seven' }), [channel()], open)).toEqual({ kind: 'refused', outcome: 'malformed', status: 400 });
  });

  it('when the channel is still being opened (no resource id yet), then its token alone verifies, and sync is sync', () => {
    expect(checkGoogleMessage(headers({ 'x-goog-resource-state': 'sync', 'x-goog-resource-id': 'anything' }), [channel({ resourceId: undefined })], open)).toEqual({ kind: 'sync' });
  });

  it('when the body names a user on an event acted on, then it is a hint with the channel and message number; other events and bodies are not', () => {
    expect(googleHint('delete', 'ch-1', '9', { kind: 'admin#directory#user', id: '1000', primaryEmail: 'a@x' })).toEqual({ directoryId: '1000', change: 'delete', ids: ['ch-1', '9'] });
    expect(googleHint('add', 'ch-1', '9', { kind: 'admin#directory#user', id: '1000' })).toBeUndefined();
    expect(googleHint('update', 'ch-1', '9', { kind: 'admin#directory#user' })).toBeUndefined();
    expect(googleHint('update', 'ch-1', '9', { id: '../../etc' })).toBeUndefined();
  });
});
