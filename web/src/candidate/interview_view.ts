// Step 4: the interview itself. Shows what the room reports (agent state, captions, nudges,
// phase and time left, reconnects) and offers mute, leave and, in the coding phase, the editor.
import { messageOf } from '../api';
import { h, mmss, replace } from '../ui';
import { Captions } from './captions';
import type { CodeEditor, SubmitCode } from './code_editor';
import { Countdown } from './countdown';
import {
  agentStateLabel,
  phaseLabel,
  type AgentState,
  type CaptionUpdate,
  type Nudge,
} from './messages';

/** How long a nudge stays unless dismissed, milliseconds. */
const NUDGE_MS = 20_000;

export interface InterviewActions {
  setMuted(muted: boolean): Promise<void>;
  leave(): Promise<void>;
  startAudio(): Promise<void>;
  submitCode: SubmitCode;
}

export interface InterviewInfo {
  roleTitle: string;
  phase: string;
  remainingS: number | null;
  nudges: boolean;
}

export class InterviewView {
  readonly element: HTMLElement;
  /** Where the agent's audio elements go. */
  readonly audioSink: HTMLDivElement;
  private readonly countdown = new Countdown();
  private readonly captions = new Captions();
  private readonly agentState: HTMLDivElement;
  private readonly agentLabel: HTMLSpanElement;
  private readonly phase: HTMLSpanElement;
  private readonly timeLeft: HTMLSpanElement;
  private readonly nudgeSlot: HTMLDivElement;
  private readonly bannerSlot: HTMLDivElement;
  private readonly audioNotice: HTMLDivElement;
  private readonly muteButton: HTMLButtonElement;
  private readonly micNote: HTMLParagraphElement;
  private readonly editorSlot: HTMLDivElement;
  private readonly dialog: HTMLDialogElement;
  private readonly nudgesOn: boolean;
  private editor: CodeEditor | null = null;
  private editorLoading = false;
  private currentPhase = '';
  private muted = false;
  private tick: number;
  private nudgeTimer: number | null = null;

  constructor(
    info: InterviewInfo,
    private readonly actions: InterviewActions,
  ) {
    this.agentLabel = h('span', { class: 'agent-label' }, 'Waiting for the interviewer');
    this.agentState = h(
      'div',
      { class: 'agent-state', testid: 'agent-state', 'data-state': 'initializing' },
      h('span', { class: 'orb', 'aria-hidden': 'true' }),
      h('span', { class: 'visually-hidden' }, 'Interviewer: '),
      this.agentLabel,
    );
    this.phase = h('span', { testid: 'phase', class: 'phase-name' });
    this.timeLeft = h('span', { testid: 'time-left', role: 'timer', class: 'time-left' }, '--:--');
    this.nudgeSlot = h('div', { class: 'nudges', role: 'status', 'aria-live': 'polite' });
    this.bannerSlot = h('div', { class: 'banner-slot' });
    this.audioNotice = h('div', { class: 'notice', hidden: true });
    this.muteButton = h(
      'button',
      { type: 'button', class: 'control', testid: 'mute-button', 'aria-pressed': 'false' },
      h('span', { class: 'icon mic', 'aria-hidden': 'true' }),
      'Mute',
    );
    this.micNote = h('p', { class: 'mic-note', role: 'status' });
    const leaveButton = h(
      'button',
      { type: 'button', class: 'control danger', testid: 'leave-button' },
      'Leave',
    );
    this.editorSlot = h('div', { class: 'editor-slot' });
    this.audioSink = h('div', { class: 'audio-sink', hidden: true });
    this.dialog = this.leaveDialog();

    this.muteButton.addEventListener('click', () => void this.toggleMute());
    leaveButton.addEventListener('click', () => this.dialog.showModal());

    this.element = h(
      'div',
      { class: 'interview', testid: 'interview' },
      this.bannerSlot,
      h(
        'header',
        { class: 'interview-bar' },
        h('h1', { class: 'interview-title' }, info.roleTitle),
        h(
          'dl',
          { class: 'bar-facts' },
          h('div', {}, h('dt', {}, 'Stage'), h('dd', {}, this.phase)),
          h('div', {}, h('dt', {}, 'Time left'), h('dd', {}, this.timeLeft)),
        ),
      ),
      this.agentState,
      this.audioNotice,
      this.nudgeSlot,
      h('div', { class: 'interview-body' }, this.captions.element, this.editorSlot),
      h(
        'div',
        { class: 'controls', role: 'group', 'aria-label': 'Call controls' },
        this.muteButton,
        leaveButton,
      ),
      this.micNote,
      this.audioSink,
      this.dialog,
    );

    this.nudgesOn = info.nudges;
    this.setPhase(info.phase, info.remainingS);
    this.tick = window.setInterval(() => this.renderTime(), 1000);
  }

  /** Starts the local countdown from the interview's full length when nothing better is known. */
  startClock(seconds: number): void {
    if (!this.countdown.started) {
      this.countdown.set(seconds, performance.now());
      this.renderTime();
    }
  }

  setAgentState(state: AgentState | null): void {
    this.agentState.dataset['state'] = state ?? 'initializing';
    this.agentLabel.textContent = state === null ? 'Waiting for the interviewer' : agentStateLabel(state);
  }

  /** The agent left but the interview goes on: a new interviewer is on its way. */
  showAgentReturning(): void {
    this.agentState.dataset['state'] = 'initializing';
    this.agentLabel.textContent = 'The interviewer is reconnecting';
  }

  showCaption(update: CaptionUpdate, text: string): void {
    this.captions.show(update, text);
  }

  showNudge(nudge: Nudge): void {
    if (!this.nudgesOn) return;
    const dismiss = h(
      'button',
      { type: 'button', class: 'dismiss', testid: 'nudge-dismiss', 'aria-label': 'Dismiss tip' },
      '×',
    );
    const note = h(
      'div',
      { class: 'nudge', testid: 'nudge', 'data-kind': nudge.kind },
      h('span', { class: 'nudge-label' }, 'Tip: '),
      h('span', { class: 'nudge-text' }, nudge.message),
      dismiss,
    );
    dismiss.addEventListener('click', () => this.clearNudge());
    replace(this.nudgeSlot, note);
    if (this.nudgeTimer !== null) window.clearTimeout(this.nudgeTimer);
    this.nudgeTimer = window.setTimeout(() => this.clearNudge(), NUDGE_MS);
  }

  setPhase(phase: string, remainingS: number | null): void {
    if (remainingS !== null) {
      this.countdown.set(remainingS, performance.now());
    }
    this.currentPhase = phase;
    this.phase.dataset['phase'] = phase;
    this.phase.textContent = phaseLabel(phase);
    this.renderTime();
    if (phase === 'coding') {
      void this.showEditor();
    } else {
      this.editorSlot.hidden = true;
    }
  }

  setReconnecting(active: boolean): void {
    if (!active) {
      this.bannerSlot.replaceChildren();
      return;
    }
    if (this.bannerSlot.childElementCount > 0) return;
    this.bannerSlot.appendChild(
      h(
        'div',
        { class: 'banner', testid: 'reconnect-banner', role: 'alert' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        'Reconnecting… Your interview is still going; please wait a moment.',
      ),
    );
  }

  setAudioBlocked(blocked: boolean): void {
    this.audioNotice.hidden = !blocked;
    if (!blocked) return;
    const button = h('button', { type: 'button', class: 'primary' }, 'Turn on sound');
    button.addEventListener('click', () => void this.actions.startAudio());
    replace(
      this.audioNotice,
      h('p', {}, 'Your browser paused the interviewer\'s voice.'),
      button,
    );
  }

  setMicError(text: string): void {
    this.micNote.textContent = text;
  }

  dispose(): void {
    window.clearInterval(this.tick);
    if (this.nudgeTimer !== null) window.clearTimeout(this.nudgeTimer);
    if (this.dialog.open) this.dialog.close();
  }

  private clearNudge(): void {
    if (this.nudgeTimer !== null) window.clearTimeout(this.nudgeTimer);
    this.nudgeTimer = null;
    this.nudgeSlot.replaceChildren();
  }

  private renderTime(): void {
    const left = this.countdown.remaining(performance.now());
    this.timeLeft.textContent = left === null ? '--:--' : mmss(left);
  }

  private async showEditor(): Promise<void> {
    this.editorSlot.hidden = false;
    if (this.editor || this.editorLoading) return;
    this.editorLoading = true;
    replace(this.editorSlot, h('p', { class: 'muted', role: 'status' }, 'Loading the code editor…'));
    try {
      const { CodeEditor } = await import('./code_editor');
      this.editor = new CodeEditor(this.actions.submitCode);
      replace(this.editorSlot, this.editor.element);
      this.editorSlot.hidden = this.currentPhase !== 'coding';
    } catch {
      replace(this.editorSlot, h('p', { class: 'error', role: 'alert' }, 'The code editor could not load. Reload the page to try again.'));
    } finally {
      this.editorLoading = false;
    }
  }

  private async toggleMute(): Promise<void> {
    const next = !this.muted;
    this.muteButton.disabled = true;
    try {
      await this.actions.setMuted(next);
      this.muted = next;
      this.muteButton.setAttribute('aria-pressed', String(next));
      this.micNote.textContent = next ? 'Your microphone is off. The interviewer cannot hear you.' : '';
    } catch (err) {
      this.micNote.textContent = `The microphone could not be changed: ${messageOf(err)}`;
    } finally {
      this.muteButton.disabled = false;
    }
  }

  private leaveDialog(): HTMLDialogElement {
    const confirm = h('button', { type: 'button', class: 'danger', testid: 'leave-confirm' }, 'Leave interview');
    const cancel = h('button', { type: 'button', class: 'secondary', testid: 'leave-cancel' }, 'Stay');
    const dialog = h(
      'dialog',
      { class: 'dialog', testid: 'leave-dialog', 'aria-labelledby': 'leave-title', 'aria-describedby': 'leave-text' },
      h('h2', { id: 'leave-title' }, 'Leave the interview?'),
      h('p', { id: 'leave-text' }, 'The interview ends for you and you cannot come back to it.'),
      h('div', { class: 'actions' }, cancel, confirm),
    );
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => {
      confirm.disabled = true;
      dialog.close();
      this.actions.leave().catch(() => undefined);
    });
    return dialog;
  }
}
