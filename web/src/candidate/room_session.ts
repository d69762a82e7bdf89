// The candidate's LiveKit room: connects, publishes the microphone, plays the agent's voice
// and turns the room's events into a few typed calls. No page markup lives here.
import {
  DisconnectReason,
  LogLevel,
  Room,
  RoomEvent,
  Track,
  setLogLevel,
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
} from 'livekit-client';
import type { JoinResponse } from '../types';
import {
  ATTR_AGENT_STATE,
  TOPIC_END,
  TOPIC_NUDGE,
  TOPIC_PHASE,
  TOPIC_TRANSCRIPTION,
  captionOf,
  parseAgentState,
  parseEnd,
  parseNudge,
  parsePhase,
  type AgentState,
  type CaptionUpdate,
  type Nudge,
  type PhaseChange,
} from './messages';

/**
 * Why the room closed for this page: `ended` (the interview is over), `moved` (the same
 * candidate joined from another tab or device), `left` (the Leave button), `lost` (the
 * connection failed for good; the interview may still be going).
 */
export type CloseReason = 'ended' | 'moved' | 'left' | 'lost';

export interface SessionHandlers {
  /** The agent's state; null while no agent is in the room. */
  agentState(state: AgentState | null): void;
  /** An utterance's text so far (interim and final texts of one utterance share its id). */
  caption(update: CaptionUpdate, text: string): void;
  nudge(nudge: Nudge): void;
  phase(change: PhaseChange): void;
  reconnecting(active: boolean): void;
  /** The browser blocked the agent's audio until the candidate interacts with the page. */
  audioBlocked(blocked: boolean): void;
  /** The agent left the room (at the close, or because its worker went away). */
  agentLeft(): void;
  closed(reason: CloseReason): void;
}

setLogLevel(LogLevel.warn);

/**
 * How long the page stays after the agent says the interview is over, for the last of its
 * voice still on the way to play out. The agent waits longer than this for the page to leave
 * before control-api removes whoever is left.
 */
const END_TAIL_MS = 400;

export class RoomSession {
  private readonly room = new Room({ adaptiveStream: false, dynacast: false });
  private readonly audioSink: HTMLElement;
  private leaving = false;
  private ending = false;
  private closed = false;

  private constructor(
    private readonly handlers: SessionHandlers,
    audioSink: HTMLElement,
  ) {
    this.audioSink = audioSink;
    this.wire();
  }

  /** Connects to the room the join answer names. */
  static async connect(
    join: JoinResponse,
    handlers: SessionHandlers,
    audioSink: HTMLElement,
  ): Promise<RoomSession> {
    const session = new RoomSession(handlers, audioSink);
    try {
      await session.room.connect(join.url, join.token);
    } catch (err) {
      session.closed = true;
      await session.room.disconnect().catch(() => undefined);
      throw err;
    }
    for (const participant of session.room.remoteParticipants.values()) {
      session.updateAgent(participant);
    }
    return session;
  }

  /** Publishes the chosen microphone and starts the agent's audio (the Join click allows it). */
  async publishMicrophone(deviceId: string | undefined): Promise<void> {
    await this.room.localParticipant.setMicrophoneEnabled(true, deviceId ? { deviceId } : {});
    await this.startAudio();
  }

  async startAudio(): Promise<void> {
    await this.room.startAudio().catch(() => undefined);
    this.handlers.audioBlocked(!this.room.canPlaybackAudio);
  }

  async setMuted(muted: boolean): Promise<void> {
    await this.room.localParticipant.setMicrophoneEnabled(!muted);
  }

  /** Leaves for good: the page shows the end screen. */
  async leave(): Promise<void> {
    this.leaving = true;
    await this.room.disconnect();
  }

  /** Drops the connection without a reason of its own (the page knows why). */
  async close(): Promise<void> {
    this.closed = true;
    await this.room.disconnect().catch(() => undefined);
  }

  private wire(): void {
    const room = this.room;
    room.registerTextStreamHandler(TOPIC_TRANSCRIPTION, (reader) => {
      const info = reader.info;
      const localMic = room.localParticipant.getTrackPublication(Track.Source.Microphone);
      const update = captionOf(info.id, info.attributes, localMic?.trackSid);
      void this.readCaption(reader, update);
    });
    room.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
      if (topic === TOPIC_NUDGE) {
        const nudge = parseNudge(payload);
        if (nudge) this.handlers.nudge(nudge);
      } else if (topic === TOPIC_PHASE) {
        const change = parsePhase(payload);
        if (change) this.handlers.phase(change);
      } else if (topic === TOPIC_END && parseEnd(payload) !== null) {
        this.finish();
      }
    });
    room.on(RoomEvent.ParticipantAttributesChanged, (_changed, participant) => {
      this.updateAgent(participant);
    });
    room.on(RoomEvent.ParticipantConnected, (participant) => this.updateAgent(participant));
    room.on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (isAgent(participant)) {
        this.handlers.agentState(null);
        this.handlers.agentLeft();
      }
    });
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
      if (track.kind === Track.Kind.Audio) {
        const el = track.attach();
        el.setAttribute('aria-hidden', 'true');
        this.audioSink.appendChild(el);
      }
    });
    room.on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
      track.detach().forEach((el) => el.remove());
    });
    room.on(RoomEvent.AudioPlaybackStatusChanged, () => {
      this.handlers.audioBlocked(!room.canPlaybackAudio);
    });
    room.on(RoomEvent.Reconnecting, () => this.handlers.reconnecting(true));
    room.on(RoomEvent.SignalReconnecting, () => this.handlers.reconnecting(true));
    room.on(RoomEvent.Reconnected, () => this.handlers.reconnecting(false));
    room.on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
      this.handlers.reconnecting(false);
      if (this.closed) return;
      this.closed = true;
      const why = this.leaving ? 'left' : this.ending ? 'ended' : closeReason(reason);
      this.handlers.closed(why);
    });
  }

  /**
   * The agent said the interview is over: the page leaves the room itself once the last of
   * the agent's voice has played. (Removed by the server instead, LiveKit's client would
   * report its data channels closed under it as errors.)
   */
  private finish(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    window.setTimeout(() => {
      void this.room.disconnect().catch(() => undefined);
    }, END_TAIL_MS);
  }

  private async readCaption(
    reader: AsyncIterable<string>,
    update: CaptionUpdate,
  ): Promise<void> {
    let text = '';
    try {
      for await (const chunk of reader) {
        text += chunk;
        this.handlers.caption({ ...update, final: false }, text);
      }
    } catch {
      // A stream cut short (a reconnect, the room closing) keeps what arrived.
    }
    this.handlers.caption(update, text);
  }

  private updateAgent(participant: Participant | RemoteParticipant): void {
    if (!isAgent(participant)) return;
    this.handlers.agentState(parseAgentState(participant.attributes[ATTR_AGENT_STATE]) ?? 'initializing');
  }
}

function isAgent(participant: Participant): boolean {
  return participant.isAgent || participant.attributes[ATTR_AGENT_STATE] !== undefined;
}

function closeReason(reason: DisconnectReason | undefined): CloseReason {
  switch (reason) {
    case DisconnectReason.DUPLICATE_IDENTITY:
      return 'moved';
    case DisconnectReason.ROOM_DELETED:
    case DisconnectReason.ROOM_CLOSED:
    case DisconnectReason.PARTICIPANT_REMOVED:
      return 'ended';
    default:
      return 'lost';
  }
}
