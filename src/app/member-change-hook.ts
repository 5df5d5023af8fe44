import type { Store } from '../ports/store.js';

/**
 * The store as the services get it, telling `onChange` after every member update that changed
 * something (deactivations, reactivations, removals all go through updateMember). The daemon uses
 * it to wake the Shared Signals worker at once, so a SET leaves within milliseconds of the change on
 * the replica that made it; other replicas' changes are picked up by the worker's poll.
 */
export function withMemberChangeHook(store: Store, onChange: () => void): Store {
  return {
    ...store,
    async updateMember(...args: Parameters<Store['updateMember']>) {
      const result = await store.updateMember(...args);
      if (result.changed) onChange();
      return result;
    },
  };
}
