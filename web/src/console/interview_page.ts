// `#/interviews/{id}`: status, a new invite link while the interview is not over, the report
// with evidence linked to the transcript, the delivery timeline and coaching, the transcript.
// Polls every five seconds while anything can still change.
import { messageOf } from '../api';
import {
  isEnded,
  type Coaching,
  type Evaluation,
  type Interview,
  type InterviewReport,
  type InterviewState,
  type Timeline,
  type TranscriptTurn,
} from '../types';
import { busy, dateTime, h, replace } from '../ui';
import type { Context, View } from './app';
import { createInvite, inviteLink } from './invite_link';
import { ReportSection } from './report';
import { statusBadge } from './status';

const POLL_MS = 5000;
/** The timeline is refetched at most this often while the interview runs. */
const TIMELINE_MS = 30_000;

export function interviewPage(ctx: Context, id: string): View {
  const base = `/interviews/${encodeURIComponent(id)}`;
  const title = h('h1', {}, 'Interview');
  const subtitle = h('p', { class: 'muted' });
  const statusSlot = h('span', { testid: 'interview-status', 'data-status': '' });
  const error = h('p', { class: 'error', role: 'alert' });
  const inviteSlot = h('div', { class: 'invite-slot' });
  const newInvite = h('button', { type: 'button', class: 'secondary', testid: 'new-invite' }, 'New invite link');
  // The button exists only while the interview is not over.
  const inviteActions = h('div', { class: 'actions', hidden: true });
  const transcript = h('ol', { class: 'transcript', testid: 'transcript', 'aria-labelledby': 'transcript-title' });
  const transcriptEmpty = h('p', { class: 'muted' }, 'No turns yet.');
  const chartHost = h('div', { class: 'chart', testid: 'timeline-chart' });
  const chartNote = h('p', { class: 'muted' }, 'Loading the delivery timeline…');
  const coachingSlot = h('div', { testid: 'coaching' });
  const report = new ReportSection({
    override: (dimension, score, reason) =>
      ctx.session.api<Evaluation>(`${base}/report/overrides`, { json: { dimension, score, reason } }),
    showTurn,
  });

  let disposed = false;
  let timer: number | null = null;
  let status = '';
  let turnsShown = 0;
  let evaluation: Evaluation | null = null;
  let timelineAt = 0;
  let timelineStatus = '';
  let disposeChart: (() => void) | null = null;

  newInvite.addEventListener('click', () => {
    void busy(newInvite, async () => {
      try {
        replace(inviteSlot, inviteLink(await createInvite(ctx, id)));
        inviteSlot.querySelector<HTMLInputElement>('input')?.focus();
      } catch (err) {
        replace(inviteSlot, h('p', { class: 'error', role: 'alert' }, `The link could not be created: ${messageOf(err)}`));
      }
    });
  });

  function showTurn(n: number): void {
    const turn = document.getElementById(`turn-${n}`);
    if (!turn) return;
    turn.scrollIntoView({ behavior: 'smooth', block: 'center' });
    turn.tabIndex = -1;
    turn.focus({ preventScroll: true });
    turn.classList.remove('highlight');
    void turn.offsetWidth;
    turn.classList.add('highlight');
  }

  const showInterview = (interview: Interview): void => {
    title.textContent = interview.candidate_name ?? 'Unnamed candidate';
    subtitle.textContent = [interview.title, `${interview.duration_minutes} minutes`, `created ${dateTime(interview.created_at)}`].join(' · ');
    if (interview.status !== status) {
      status = interview.status;
      statusSlot.dataset['status'] = status;
      replace(statusSlot, statusBadge(status));
    }
    inviteActions.hidden = isEnded(status);
    if (isEnded(status)) inviteActions.replaceChildren();
    else if (!newInvite.isConnected) inviteActions.appendChild(newInvite);
    if (isEnded(status)) inviteSlot.replaceChildren();
  };

  const showTurns = (turns: TranscriptTurn[]): void => {
    transcriptEmpty.hidden = turns.length > 0;
    for (const turn of turns.slice(turnsShown)) transcript.appendChild(turnItem(turn));
    turnsShown = Math.max(turnsShown, turns.length);
  };

  const showTimeline = (timeline: Timeline, coaching: Coaching | null): void => {
    replace(coachingSlot, coachingSummary(coaching ?? timeline.coaching));
    if (timeline.points.length === 0) {
      chartNote.textContent = 'No delivery data yet: it appears once the candidate has spoken.';
      chartNote.hidden = false;
      return;
    }
    chartNote.hidden = true;
    import('./timeline_chart')
      .then(({ drawTimeline }) => {
        if (disposed) return;
        disposeChart?.();
        chartHost.replaceChildren();
        disposeChart = drawTimeline(chartHost, timeline.points);
      })
      .catch(() => {
        chartNote.textContent = 'The chart could not load.';
        chartNote.hidden = false;
      });
  };

  const poll = async (): Promise<void> => {
    try {
      const [interview, state] = await Promise.all([
        ctx.session.api<Interview>(base),
        ctx.session.api<InterviewState>(`${base}/state`),
      ]);
      if (disposed) return;
      showInterview(interview);
      showTurns(state.conversation_history);
      const ended = isEnded(interview.status);
      if (!ReportSection.settled(evaluation)) {
        const answer = await ctx.session.api<InterviewReport>(`${base}/report`);
        if (disposed) return;
        evaluation = answer.evaluation;
        report.update(evaluation, ended);
        const now = Date.now();
        if (timelineStatus !== interview.status || now - timelineAt > TIMELINE_MS) {
          timelineAt = now;
          timelineStatus = interview.status;
          const timeline = await ctx.session.api<Timeline>(`${base}/timeline`);
          if (disposed) return;
          showTimeline(timeline, answer.coaching);
        }
      }
      error.textContent = '';
    } catch (err) {
      if (disposed) return;
      error.textContent = messageOf(err);
    }
    const done = isEnded(status) && ReportSection.settled(evaluation);
    if (!disposed && !done) timer = window.setTimeout(() => void poll(), POLL_MS);
  };
  void poll();

  const element = h(
    'div',
    { class: 'page' },
    h('p', {}, h('a', { href: '#/interviews' }, '← All interviews')),
    h('div', { class: 'page-head' }, h('div', {}, title, subtitle), statusSlot),
    error,
    inviteActions,
    inviteSlot,
    report.element,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'delivery-title' },
      h('h2', { id: 'delivery-title' }, 'Delivery'),
      h('p', { class: 'hint' }, 'How the candidate sounded. Kept apart from the scores: no score reads it.'),
      h(
        'figure',
        { class: 'chart-figure' },
        h('figcaption', {}, 'Level (dBFS), pitch F0 (Hz) and syllable rate per second of the candidate\'s audio'),
        chartNote,
        chartHost,
      ),
      coachingSlot,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'transcript-title' },
      h('h2', { id: 'transcript-title' }, 'Transcript'),
      transcriptEmpty,
      transcript,
    ),
  );

  return {
    title: 'Interview',
    element,
    dispose: () => {
      disposed = true;
      if (timer !== null) window.clearTimeout(timer);
      disposeChart?.();
    },
  };
}

function turnItem(turn: TranscriptTurn): HTMLLIElement {
  const interviewer = turn.role === 'interviewer';
  return h(
    'li',
    { id: `turn-${turn.turn}`, testid: 'turn', 'data-turn': turn.turn, 'data-role': turn.role, class: `turn ${interviewer ? 'agent' : 'candidate'}` },
    h('span', { class: 'turn-meta' }, h('span', { class: 'turn-number' }, `#${turn.turn}`), ' ', interviewer ? 'Interviewer' : 'Candidate'),
    h('p', {}, turn.text),
    turn.code
      ? h('pre', { class: 'code', tabindex: 0, 'aria-label': `Code (${turn.language ?? 'unknown language'})` }, h('code', {}, turn.code))
      : null,
  );
}

function coachingSummary(coaching: Coaching | null): HTMLElement {
  if (!coaching) return h('p', { class: 'muted' }, 'No coaching summary yet.');
  const f = coaching.audio_features;
  const fmt = (v: number | null, unit: string, digits = 0): string => (v === null ? '—' : `${v.toFixed(digits)}${unit}`);
  const pct = (v: number | null): string => (v === null ? '—' : `${Math.round(v * 100)}%`);
  const rows: [string, string][] = [
    ['Speech rate', fmt(f.speech_rate, ' words/min')],
    ['Pauses', pct(f.pause_ratio)],
    ['Filler words', pct(f.filler_word_ratio)],
    ['Mean pitch', fmt(coaching.pitch_mean_hz, ' Hz')],
    ['Speech level', fmt(coaching.volume.speech_dbfs, ' dBFS', 1)],
    ['Signal to noise', fmt(coaching.volume.snr_db, ' dB', 1)],
    ['Share of talk', pct(coaching.talk_ratio)],
    ['Interruptions', String(coaching.interruptions)],
    ['Tips shown', String(coaching.nudges)],
  ];
  return h(
    'div',
    {},
    h('h3', {}, 'Coaching summary'),
    h('dl', { class: 'facts grid-facts' }, ...rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
  );
}
