import type { Member } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';
import type { FilterNode } from './filter/parse.js';

const isEmails = (attr: string) => attr.toLowerCase() === 'emails';

/**
 * Candidates for a filter from the store's indexes, without scanning the org, for the lookups
 * Okta and Entra make on every push: userName eq, externalId eq, emails.value eq,
 * emails[type eq "work"].value eq, id eq, and and/or combinations of them. Returns undefined when
 * the filter has no indexed part; the caller then scans. Candidates are a superset: the caller
 * still evaluates the whole filter on them.
 */
export async function indexedCandidates(store: Store, orgId: string, node: FilterNode): Promise<Member[] | undefined> {
  // Service accounts are not the IdP's: no lookup finds one.
  return (await candidates(store, orgId, node))?.filter((m) => m.kind !== 'service');
}

async function candidates(store: Store, orgId: string, node: FilterNode): Promise<Member[] | undefined> {
  switch (node.kind) {
    case 'and':
      return (await candidates(store, orgId, node.left)) ?? candidates(store, orgId, node.right);
    case 'or': {
      const [l, r] = await Promise.all([candidates(store, orgId, node.left), candidates(store, orgId, node.right)]);
      if (!l || !r) return undefined;
      const seen = new Set(l.map((m) => m.id));
      return [...l, ...r.filter((m) => !seen.has(m.id))];
    }
    case 'compare': {
      if (node.op !== 'eq' || typeof node.value !== 'string' || node.path.uri) return undefined;
      const attr = node.path.attr.toLowerCase();
      const sub = node.path.sub?.toLowerCase();
      if (attr === 'username' && !sub) return maybe(await store.findMemberByUserName(orgId, node.value));
      if (attr === 'externalid' && !sub) return store.findMembersByExternalId(orgId, node.value);
      if (attr === 'id' && !sub) return maybe(live(await store.getMember(orgId, node.value)));
      if (isEmails(attr) && sub === 'value') return store.findMembersByEmail(orgId, node.value);
      return undefined;
    }
    case 'valuePath': {
      const t = node.then;
      if (isEmails(node.path.attr) && t && t.sub.toLowerCase() === 'value' && t.op === 'eq' && typeof t.value === 'string') {
        return store.findMembersByEmail(orgId, t.value);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

const maybe = (m: Member | undefined) => (m ? [m] : []);
const live = (m: Member | undefined) => (m && m.status !== 'removed' ? m : undefined);
