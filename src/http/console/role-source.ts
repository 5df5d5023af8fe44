import type { Member } from '../../domain/model.js';
import { roleSourceOf } from '../../domain/role-mappings.js';
import { esc } from './layout.js';

/** The members page's "Role from" cell: where the member's role comes from, as people read it. */
export function roleSourceCell(m: Pick<Member, 'role' | 'roleSource'>): string {
  const s = roleSourceOf(m);
  switch (s.kind) {
    case 'mapping':
      return `Mapping: ${esc(s.source === 'scim' ? 'SCIM' : s.source)} group ${esc(s.group)}`;
    case 'idp':
      return 'Identity provider';
    case 'default':
      return 'Default';
    case 'manual':
      return s.overridesMapping ? `Manual <span class="muted">(overrides mapping ${esc(s.overridesMapping)})</span>` : 'Manual';
  }
}
