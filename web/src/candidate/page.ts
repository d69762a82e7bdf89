// The candidate's page, `/i/{token}`: load the invite, consent, check the microphone, join
// the room, and end on the right screen. One step is on screen at a time.
import '../styles/candidate.css';
import { ApiError, messageOf } from '../api';
import type { InvitePage, JoinResponse } from '../types';
import { focusHeading, h, replace } from '../ui';
import { DeviceCheck } from './device_check';
import { disclosureStep } from './disclosure';
import { InterviewView } from './interview_view';
import {
  giveConsent,
  inviteErrorReason,
  joinInterview,
  readInvite,
  submitCode,
} from './invite';
import type { CloseReason, RoomSession } from './room_session';
import {
  connectionLostScreen,
  endScreen,
  inviteErrorScreen,
  loadErrorScreen,
  loadingScreen,
  movedElsewhereScreen,
  type EndReason,
} from './screens';

/** How long after the agent leaves the page asks whether the interview is over (the room
 * closing normally tells it first, without a request that answers 410). */
const AGENT_LEFT_CHECK_MS = 5000;

export function startCandidatePage(root: HTMLElement, token: string): void {
  void new CandidatePage(root, token).load();
}

class CandidatePage {
  private readonly main: HTMLElement;
  private invite: InvitePage | null = null;
  private check: DeviceCheck | null = null;
  private view: InterviewView | null = null;
  private session: RoomSession | null = null;
  private finished = false;
  /** The room module (livekit-client): fetched while the candidate checks the microphone. */
  private roomModule: Promise<typeof import('./room_session')> | null = null;

  constructor(
    root: HTMLElement,
    private readonly token: string,
  ) {
    document.title = 'Your interview';
    this.main = h('main', { id: 'main', class: 'candidate' });
    replace(
      root,
      h('header', { class: 'topbar' }, h('span', { class: 'brand' }, 'AI interview')),
      this.main,
    );
  }

  async load(): Promise<void> {
    this.show(loadingScreen('Loading your interview…'), false);
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(this.token)) {
      this.show(inviteErrorScreen('invalid'));
      return;
    }
    try {
      this.invite = await readInvite(this.token);
    } catch (err) {
      if (this.showInviteError(err)) return;
      this.show(loadErrorScreen(messageOf(err), () => void this.load()));
      return;
    }
    if (this.invite.consent) {
      this.showDeviceCheck();
    } else {
      this.showDisclosure(this.invite);
    }
  }

  /** Puts `element` on screen, ending whatever step was there. */
  private show(element: HTMLElement, focus = true): void {
    this.check?.dispose();
    this.check = null;
    if (this.view && element !== this.view.element) {
      this.view.dispose();
      this.view = null;
    }
    replace(this.main, element);
    if (focus) focusHeading(this.main);
  }

  /** Shows the link's error page when `err` is one; returns whether it was. */
  private showInviteError(err: unknown): boolean {
    const reason = inviteErrorReason(err);
    if (!reason) return false;
    this.show(inviteErrorScreen(reason));
    return true;
  }

  private showDisclosure(invite: InvitePage): void {
    const step = disclosureStep(invite, async (version) => {
      try {
        await giveConsent(this.token, version);
      } catch (err) {
        if (this.showInviteError(err)) return;
        if (err instanceof ApiError && err.status === 409) {
          // The text changed since the page loaded: show the new one.
          await this.load();
          return;
        }
        throw err;
      }
      this.showDeviceCheck();
    });
    this.show(step.element);
  }

  private showDeviceCheck(): void {
    this.roomModule ??= import('./room_session');
    this.roomModule.catch(() => {
      this.roomModule = null;
    });
    const check = new DeviceCheck({ join: (deviceId) => this.join(deviceId) });
    this.show(check.element);
    this.check = check;
    void check.start();
  }

  private async join(deviceId: string | undefined): Promise<void> {
    const invite = this.invite;
    if (!invite) return;
    let joined: JoinResponse;
    try {
      joined = await joinInterview(this.token);
    } catch (err) {
      if (this.showInviteError(err)) return;
      if (err instanceof ApiError && err.status === 409) {
        this.showDisclosure({ ...invite, consent: null });
        return;
      }
      throw new Error(messageOf(err));
    }
    const view = new InterviewView(
      {
        roleTitle: invite.role_title ?? invite.position ?? 'Interview',
        phase: invite.phase,
        remainingS: invite.remaining_s,
        nudges: invite.nudges,
      },
      {
        setMuted: (muted) => this.session?.setMuted(muted) ?? Promise.resolve(),
        leave: () => this.session?.leave() ?? Promise.resolve(),
        startAudio: () => this.session?.startAudio() ?? Promise.resolve(),
        submitCode: async (language, code) => {
          await submitCode(this.token, language, code);
        },
      },
    );
    this.finished = false;
    let session: RoomSession;
    try {
      this.roomModule ??= import('./room_session');
      const { RoomSession } = await this.roomModule;
      session = await RoomSession.connect(
        joined,
        {
          agentState: (state) => view.setAgentState(state),
          caption: (update, text) => view.showCaption(update, text),
          nudge: (nudge) => view.showNudge(nudge),
          phase: (change) => view.setPhase(change.phase, change.remainingS),
          reconnecting: (active) => view.setReconnecting(active),
          audioBlocked: (blocked) => view.setAudioBlocked(blocked),
          agentLeft: () => this.agentLeft(),
          closed: (reason) => void this.closed(reason),
        },
        view.audioSink,
      );
    } catch {
      view.dispose();
      throw new Error('Could not connect to the interview. Check your connection and try again.');
    }
    this.session = session;
    this.view = view;
    this.show(view.element);
    if (invite.remaining_s === null) view.startClock(invite.duration_minutes * 60);
    try {
      await session.publishMicrophone(deviceId);
    } catch (err) {
      view.setMicError(`Your microphone could not be shared: ${messageOf(err)}`);
    }
  }

  private agentLeft(): void {
    window.setTimeout(() => {
      if (this.finished) return;
      readInvite(this.token)
        .then((invite) => {
          this.invite = invite;
          if (!this.finished) this.view?.showAgentReturning();
        })
        .catch((err: unknown) => {
          if (inviteErrorReason(err) === 'ended') {
            void this.session?.close();
            this.end('completed');
          }
        });
    }, AGENT_LEFT_CHECK_MS);
  }

  private async closed(reason: CloseReason): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.session = null;
    switch (reason) {
      case 'left':
        this.end('left');
        return;
      case 'ended':
        this.end('completed');
        return;
      case 'moved':
        this.show(movedElsewhereScreen());
        return;
      case 'lost':
        break;
    }
    // The connection failed for good: the interview may be over, or may wait for a rejoin.
    try {
      this.invite = await readInvite(this.token);
    } catch (err) {
      if (inviteErrorReason(err) === 'ended') {
        this.end('completed');
        return;
      }
      if (this.showInviteError(err)) return;
    }
    this.show(
      connectionLostScreen(
        'Your connection to the interview dropped. Check your internet connection, then rejoin.',
        () => this.showDeviceCheck(),
      ),
    );
  }

  private end(reason: EndReason): void {
    this.finished = true;
    this.show(endScreen(reason));
  }
}
