// The interview's report: scores per rubric criterion with the candidate's quotes as evidence
// (each a link to its transcript turn), the reviewer override form and its audit trail.
import { messageOf } from '../api';
import type { DimensionScore, Evaluation, EvaluationReport, Evidence, Override } from '../types';
import { dateTime, field, h, replace } from '../ui';

const RECOMMENDATIONS: Record<EvaluationReport['recommendation'], string> = {
  strong_hire: 'Strong hire',
  hire: 'Hire',
  lean_no_hire: 'Lean no hire',
  no_hire: 'No hire',
};

export interface ReportActions {
  /** Applies an override; resolves with the evaluation after it. */
  override(dimension: string, score: number, reason: string): Promise<Evaluation>;
  /** Scrolls to and highlights transcript turn `n`. */
  showTurn(n: number): void;
}

export class ReportSection {
  readonly element: HTMLElement;
  private readonly body: HTMLDivElement;
  private shown = '';

  constructor(private readonly actions: ReportActions) {
    this.body = h('div', {}, h('p', { class: 'muted' }, 'Loading the report…'));
    this.element = h(
      'section',
      { class: 'card', testid: 'report', 'aria-labelledby': 'report-title' },
      h('h2', { id: 'report-title' }, 'Report'),
      this.body,
    );
  }

  /** Whether the report may still change without a reviewer (so it is worth polling). */
  static settled(evaluation: Evaluation | null): boolean {
    return evaluation !== null && evaluation.status !== 'pending';
  }

  /** Shows the evaluation; `ended` says whether the interview is over. */
  update(evaluation: Evaluation | null, ended: boolean): void {
    const key = JSON.stringify([evaluation, ended]);
    if (key === this.shown) return;
    this.shown = key;
    this.element.dataset['state'] = evaluation?.status ?? (ended ? 'pending' : 'waiting');
    if (evaluation === null) {
      replace(
        this.body,
        ended
          ? inProgress()
          : h('p', { class: 'muted' }, 'The report is written when the interview ends.'),
      );
      return;
    }
    if (evaluation.status === 'pending') {
      replace(this.body, inProgress());
    } else if (evaluation.status === 'failed' || !evaluation.report) {
      replace(
        this.body,
        h('p', { class: 'error' }, `The report could not be written${evaluation.reason ? `: ${evaluation.reason}` : '.'}`),
      );
    } else {
      replace(this.body, ...this.ready(evaluation, evaluation.report));
    }
  }

  private ready(evaluation: Evaluation, report: EvaluationReport): HTMLElement[] {
    return [
      h(
        'dl',
        { class: 'facts summary' },
        h('div', {}, h('dt', {}, 'Recommendation'), h('dd', { testid: 'recommendation' }, RECOMMENDATIONS[report.recommendation] ?? report.recommendation)),
        h('div', {}, h('dt', {}, 'Overall score'), h('dd', { testid: 'overall-score' }, `${report.overall_score.toFixed(1)} / 5`)),
        h('div', {}, h('dt', {}, 'Confidence'), h('dd', {}, `${Math.round(report.confidence * 100)}%`)),
        h('div', {}, h('dt', {}, 'Scored by'), h('dd', {}, evaluation.model ? `${evaluation.scorer} (${evaluation.model})` : evaluation.scorer)),
      ),
      h('h3', {}, 'Scores by criterion'),
      h('ul', { class: 'scores' }, ...report.dimensions.map((d) => this.dimension(d))),
      ...listSection('Strengths', report.strengths),
      ...listSection('Concerns', report.concerns),
      ...listSection('Follow-up questions', report.follow_up_questions),
      ...this.skills(report),
      this.overrideForm(report.dimensions),
      auditTrail(evaluation.overrides),
    ];
  }

  private dimension(d: DimensionScore): HTMLLIElement {
    return h(
      'li',
      { class: 'score', testid: 'score', 'data-dimension': d.name, 'data-score': d.score },
      h(
        'div',
        { class: 'score-head' },
        h('h4', {}, d.name),
        h('span', { class: 'score-value', 'aria-label': `${d.score} out of 5` }, `${d.score} / 5`),
      ),
      h('p', { class: 'muted' }, `Weight ${d.weight} · ${d.anchor}`),
      d.original_score !== undefined
        ? h('p', { class: 'note' }, `Changed by a reviewer from ${d.original_score}.`)
        : null,
      d.low_confidence ? h('p', { class: 'note warning-text' }, 'Low confidence: no verified quote supports this score.') : null,
      h('p', {}, d.rationale),
      d.evidence.length > 0
        ? h('ul', { class: 'evidence-list', 'aria-label': `Evidence for ${d.name}` }, ...d.evidence.map((e) => h('li', {}, this.evidenceLink(e))))
        : null,
    );
  }

  private evidenceLink(e: Evidence): HTMLAnchorElement {
    return h(
      'a',
      {
        href: `#turn-${e.turn}`,
        testid: 'evidence',
        'data-turn': e.turn,
        class: 'evidence',
        on: {
          click: (event) => {
            event.preventDefault();
            this.actions.showTurn(e.turn);
          },
        },
      },
      h('q', {}, e.quote),
      h('span', { class: 'muted' }, ` (turn ${e.turn})`),
    );
  }

  private skills(report: EvaluationReport): HTMLElement[] {
    if (report.skills.length === 0) return [];
    return [
      h('h3', {}, 'Skills'),
      h(
        'ul',
        { class: 'plain skills' },
        ...report.skills.map((s) =>
          h(
            'li',
            {},
            h('strong', {}, s.skill),
            ': ',
            s.score === null ? (s.probed ? 'asked about, no answer to score' : 'not covered') : `${s.score} / 5`,
            s.evidence.length > 0 ? ' — ' : null,
            ...s.evidence.slice(0, 2).map((e) => this.evidenceLink(e)),
          ),
        ),
      ),
    ];
  }

  private overrideForm(dimensions: DimensionScore[]): HTMLFormElement {
    const criterion = h(
      'select',
      { id: 'override-dimension', testid: 'override-dimension' },
      ...dimensions.map((d) => h('option', { value: d.name }, d.name)),
    );
    const score = h(
      'select',
      { id: 'override-score', testid: 'override-score' },
      ...[1, 2, 3, 4, 5].map((n) => h('option', { value: n }, String(n))),
    );
    const reason = h('textarea', { id: 'override-reason', testid: 'override-reason', rows: 2, required: true, maxlength: 2000 });
    const submit = h('button', { type: 'submit', class: 'secondary', testid: 'override-submit' }, 'Save override');
    const status = h('p', { class: 'error', role: 'alert' });
    const syncScore = (): void => {
      const current = dimensions.find((d) => d.name === criterion.value);
      if (current) score.value = String(current.score);
    };
    criterion.addEventListener('change', syncScore);
    syncScore();
    const form = h(
      'form',
      { class: 'override', testid: 'override-form', 'aria-labelledby': 'override-title', novalidate: true },
      h('h3', { id: 'override-title' }, 'Override a score'),
      h('p', { class: 'hint' }, 'The original score is kept; every change is recorded with its reason.'),
      h('div', { class: 'grid two' }, field('Criterion', criterion), field('New score (1 to 5)', score)),
      field('Reason (required)', reason),
      h('div', { class: 'actions' }, submit),
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      status.textContent = '';
      if (reason.value.trim() === '') {
        status.textContent = 'Give a reason for the override.';
        reason.focus();
        return;
      }
      submit.disabled = true;
      this.actions
        .override(criterion.value, Number(score.value), reason.value.trim())
        .then((evaluation) => {
          this.update(evaluation, true);
          this.element.querySelector<HTMLElement>('#override-title')?.scrollIntoView({ block: 'nearest' });
        })
        .catch((err: unknown) => {
          status.textContent = messageOf(err);
          submit.disabled = false;
        });
    });
    return form;
  }
}

function inProgress(): HTMLElement {
  return h(
    'p',
    { role: 'status', testid: 'report-pending' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    'Report in progress',
  );
}

function listSection(title: string, items: string[]): HTMLElement[] {
  if (items.length === 0) return [];
  return [h('h3', {}, title), h('ul', { class: 'plain bullets' }, ...items.map((x) => h('li', {}, x)))];
}

function auditTrail(overrides: Override[]): HTMLElement {
  return h(
    'section',
    { class: 'audit', 'aria-labelledby': 'audit-title' },
    h('h3', { id: 'audit-title' }, 'Audit trail'),
    overrides.length === 0
      ? h('p', { class: 'muted' }, 'No overrides.')
      : h(
          'ol',
          { class: 'plain', testid: 'override-trail' },
          ...overrides.map((o) =>
            h(
              'li',
              { testid: 'override-entry' },
              h('strong', {}, o.dimension),
              `: ${o.from_score} → ${o.to_score}. “${o.reason}” `,
              h('span', { class: 'muted' }, `(${dateTime(o.at)}, reviewer ${o.reviewer_id.slice(0, 8)})`),
            ),
          ),
        ),
  );
}
