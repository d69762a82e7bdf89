// `#/interviews`: the recruiter's interviews, newest first, refreshed every five seconds.
import { messageOf } from '../api';
import type { Interview } from '../types';
import { dateTime, h, replace } from '../ui';
import type { Context, View } from './app';
import { statusBadge } from './status';

const POLL_MS = 5000;

export function interviewsView(ctx: Context): View {
  const list = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading interviews…'));
  const error = h('p', { class: 'error', role: 'alert' });
  let timer: number | null = null;
  let disposed = false;
  let rendered = '';

  const load = async (): Promise<void> => {
    try {
      const interviews = await ctx.session.api<Interview[]>('/interviews?limit=100');
      if (disposed) return;
      error.textContent = '';
      list.removeAttribute('aria-busy');
      // Re-render only on change, so focus and scroll stay put between polls.
      const key = JSON.stringify(interviews.map((i) => [i.id, i.status, i.updated_at]));
      if (key !== rendered) {
        rendered = key;
        replace(list, interviews.length === 0 ? emptyState() : h('ul', { class: 'rows' }, ...interviews.map(interviewRow)));
      }
    } catch (err) {
      if (disposed) return;
      list.removeAttribute('aria-busy');
      error.textContent = `The list could not refresh: ${messageOf(err)}`;
    } finally {
      if (!disposed) timer = window.setTimeout(() => void load(), POLL_MS);
    }
  };
  void load();

  return {
    title: 'Interviews',
    element: h(
      'div',
      { class: 'page' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, 'Interviews'),
        h('a', { href: '#/interviews/new', class: 'button primary' }, 'New interview'),
      ),
      error,
      list,
    ),
    dispose: () => {
      disposed = true;
      if (timer !== null) window.clearTimeout(timer);
    },
  };
}

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'card empty' },
    h('p', {}, 'No interviews yet.'),
    h('p', {}, h('a', { href: '#/interviews/new' }, 'Create an interview'), ' and send the candidate their invite link.'),
  );
}

function interviewRow(interview: Interview): HTMLLIElement {
  const href = `#/interviews/${encodeURIComponent(interview.id)}`;
  return h(
    'li',
    { class: 'row', testid: 'interview-row', 'data-id': interview.id, 'data-status': interview.status },
    h(
      'div',
      { class: 'row-main' },
      h('a', { href, class: 'row-link' }, interview.candidate_name ?? 'Unnamed candidate'),
      h('span', { class: 'muted' }, interview.title),
    ),
    statusBadge(interview.status),
    h('span', { class: 'muted row-date' }, dateTime(interview.created_at)),
  );
}
