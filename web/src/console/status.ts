// Interview statuses as people read them.
import { h } from '../ui';

const LABELS: Record<string, string> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
  left_early: 'Left early',
  failed: 'Failed',
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status.replace(/_/g, ' ');
}

/** A status badge; `testid` and `data-status` let tests read it. */
export function statusBadge(status: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status}`, testid, 'data-status': status }, statusLabel(status));
}
