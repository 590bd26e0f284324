/**
 * Onboarding (存量纳入, machine version 2): what ONBOARD records in the context — the legacy approval and the
 * placement as they were on paper. approvedAt is the start of the approval's China day; the placement is recorded
 * by whoever onboarded it, at the onboarding's instant, from its legacy start date; the last revisit under the old
 * process starts the revisit clock. Pure.
 */
import type { CaseContext } from './context.js';
import type { CaseEventOf } from './events.js';

export function onboardingChanges(e: CaseEventOf<'ONBOARD'>): Pick<CaseContext, 'approvedAt' | 'onboarding' | 'placement' | 'revisits'> {
  const p = e.placement;
  const g = p?.guardian;
  return {
    approvedAt: new Date(`${e.approvedOn}T00:00:00+08:00`).toISOString(),
    onboarding: {
      approvedOn: e.approvedOn,
      legacyReference: e.legacyReference,
      categories: Object.fromEntries(e.categories.map((c) => [c.memberId, [...new Set(c.categories)]])),
      source: e.provenance.source,
      fileSha256: e.provenance.fileSha256,
      jobId: e.provenance.jobId,
      importedBy: e.actor.id,
      importedAt: e.at,
    },
    placement: p && {
      mode: p.mode,
      startDate: p.startDate,
      placedBy: e.actor.id,
      placedAt: e.at,
      ...(p.facility && { facility: { id: p.facility.id, name: p.facility.name, type: p.facility.type } }),
      ...(g && { guardian: { id: g.id, name: g.name, kind: g.kind, phone: g.phone, reasonNotLegalSupporter: g.reasonNotLegalSupporter } }),
      ...(p.agreement && { agreement: p.agreement }),
    },
    revisits: { count: 0, lastDate: p ? e.lastRevisitDate : null },
  };
}
