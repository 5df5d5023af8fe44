import { afterEach, beforeEach } from '@jest/globals';
import { isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { Organization } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';
import { anOrg, draft } from './fixtures.js';

/** A factory for an empty store, and how to dispose of it. */
export type StoreFactory = () => Promise<{ store: Store; dispose: () => Promise<void> }>;

/** The error code a call failed with, `ok` when it succeeded, `other` for an uncoded failure. */
export async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok' | 'other'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isIdsyncError(err) ? err.code : 'other';
  }
}

export interface StoreHarness {
  /** The empty store of the running test. */
  readonly store: Store;
  newOrg(): Promise<Organization>;
  /**
   * Runs `fn` and returns how many audit events it appended to the org's chain, after checking that
   * exactly as many outbox records went with them, with the same ids. A failure of `fn` is thrown:
   * wrap a call that is meant to fail in codeOf.
   */
  auditDelta(orgId: string, fn: () => Promise<unknown>): Promise<number>;
}

/** Gives each test of the enclosing describe a fresh store from the factory, disposed after it. */
export function useStore(factory: StoreFactory): StoreHarness {
  let current: { store: Store; dispose: () => Promise<void> } | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  const harness: StoreHarness = {
    get store(): Store {
      if (!current) throw new Error('the store is only available inside a test');
      return current.store;
    },
    async newOrg() {
      const org = anOrg();
      await harness.store.createOrg(org, draft(org.id, 'org.created', org.id));
      return org;
    },
    async auditDelta(orgId, fn) {
      const before = (await harness.store.listAudit(orgId)).length;
      await fn();
      const events = (await harness.store.listAudit(orgId)).slice(before);
      const outbox = await harness.store.listOutbox(orgId, { afterSeq: before });
      if (outbox.map((o) => o.id).join() !== events.map((e) => e.id).join()) {
        throw new Error(`outbox records ${outbox.map((o) => o.seq).join()} do not match audit events ${events.map((e) => e.seq).join()}`);
      }
      return events.length;
    },
  };
  return harness;
}
