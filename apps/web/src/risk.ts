/** The taxonomy's classification in words a person decides on. */
export const REVERSIBILITY: Record<string, { title: string; text: string }> = {
  reversible: { title: 'Can be undone', text: 'If this turns out to be wrong, it can simply be reverted.' },
  compensable: {
    title: 'Cannot be undone, only offset',
    text: 'Once done it stays done; a mistake can only be repaired afterwards by another action (for example, charging back a refund).',
  },
  irreversible: { title: 'Cannot be undone', text: 'Once done, there is no way back: nothing can revert it.' },
};

export const BLAST_RADIUS: Record<string, { title: string; text: string }> = {
  self: { title: 'Affects only the person it is for', text: 'Its effects stay with the person the agent acts for.' },
  team: { title: 'Affects a team', text: 'People beyond the requester, within their team, feel its effects.' },
  organization: { title: 'Affects the whole organisation', text: 'Its effects reach everyone in the organisation.' },
  external: {
    title: 'Reaches outside the organisation',
    text: 'Customers, partners, money or data leave the organisation; outsiders see its effects.',
  },
};

export const UNKNOWN_RISK = {
  title: 'Unknown action type',
  text: 'Countersign does not know this kind of action, so it treats it as the highest risk. Approve only if you know exactly what it does.',
};
