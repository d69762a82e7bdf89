// The live captions: one element per utterance, keyed by segment id, so an interim text is
// replaced by the next interim or the final one rather than appended.
import { h } from '../ui';
import type { CaptionUpdate } from './messages';

/** Utterances kept on screen; older ones are dropped. */
const MAX_CAPTIONS = 200;

export class Captions {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly bySegment = new Map<string, HTMLLIElement>();

  constructor() {
    this.list = h('ol', { class: 'caption-list' });
    this.empty = h('p', { class: 'muted caption-empty' }, 'The conversation will appear here as text.');
    this.element = h(
      'section',
      { class: 'captions-panel', 'aria-labelledby': 'captions-title' },
      h('h2', { id: 'captions-title', class: 'visually-hidden' }, 'Captions'),
      h(
        'div',
        {
          class: 'captions',
          testid: 'captions',
          role: 'log',
          'aria-live': 'polite',
          'aria-relevant': 'additions text',
          tabindex: 0,
          'aria-label': 'Captions of the conversation',
        },
        this.empty,
        this.list,
      ),
    );
  }

  /** Shows an utterance's text so far. */
  show(update: CaptionUpdate, text: string): void {
    const clean = text.trim();
    const stick = this.nearEnd();
    let item = this.bySegment.get(update.segmentId);
    if (!item) {
      if (clean === '') return;
      item = h(
        'li',
        { class: `caption ${update.side}`, testid: 'caption' },
        h('span', { class: 'speaker' }, update.side === 'agent' ? 'Interviewer' : 'You'),
        h('span', { class: 'text' }),
      );
      this.bySegment.set(update.segmentId, item);
      this.list.appendChild(item);
      this.empty.hidden = true;
      this.trim();
    }
    item.dataset['side'] = update.side;
    item.dataset['final'] = String(update.final);
    item.dataset['segment'] = update.segmentId;
    const body = item.querySelector('.text');
    if (body) body.textContent = clean;
    const box = this.list.parentElement;
    if (stick && box) box.scrollTop = box.scrollHeight;
  }

  private trim(): void {
    while (this.list.children.length > MAX_CAPTIONS) {
      const first = this.list.firstElementChild as HTMLLIElement | null;
      if (!first) break;
      const segment = first.dataset['segment'];
      if (segment) this.bySegment.delete(segment);
      first.remove();
    }
  }

  /** Whether the newest text is in view: it stays so unless the candidate scrolled up. */
  private nearEnd(): boolean {
    const box = this.list.parentElement;
    return !box || box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  }
}
