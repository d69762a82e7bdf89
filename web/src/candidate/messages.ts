// What the room carries, parsed at the edge: nudges, phases and the end on their data topics,
// captions' text stream attributes. Unknown fields are ignored and a newer version refused,
// as the wire contract asks of every reader.

export const TOPIC_TRANSCRIPTION = 'lk.transcription';
export const TOPIC_NUDGE = 'interviewer.nudge';
export const TOPIC_PHASE = 'interviewer.phase';
export const TOPIC_END = 'interviewer.end';
export const ATTR_AGENT_STATE = 'lk.agent.state';

/** The newest contract version this page reads. */
const VERSION = 1;

export type AgentState = 'initializing' | 'idle' | 'listening' | 'thinking' | 'speaking';

const AGENT_STATES: readonly string[] = ['initializing', 'idle', 'listening', 'thinking', 'speaking'];

export function parseAgentState(value: string | undefined): AgentState | null {
  return value !== undefined && AGENT_STATES.includes(value) ? (value as AgentState) : null;
}

export interface Nudge {
  kind: string;
  message: string;
}

export interface PhaseChange {
  phase: string;
  remainingS: number | null;
}

export type Side = 'agent' | 'candidate';

export interface CaptionUpdate {
  segmentId: string;
  side: Side;
  final: boolean;
}

function decodeObject(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    const v = record['v'] ?? VERSION;
    if (typeof v !== 'number' || v > VERSION) return null;
    return record;
  } catch {
    return null;
  }
}

/** A nudge packet, or null when it is not one this page can show. */
export function parseNudge(payload: Uint8Array): Nudge | null {
  const record = decodeObject(payload);
  if (!record) return null;
  const message = record['message'];
  const kind = record['kind'];
  if (typeof message !== 'string' || message.trim() === '') return null;
  return { kind: typeof kind === 'string' ? kind : 'tip', message: message.slice(0, 300) };
}

/** The outcome an end packet carries (`completed` or `failed`), or null when it is not one. */
export function parseEnd(payload: Uint8Array): string | null {
  const outcome = decodeObject(payload)?.['outcome'];
  return typeof outcome === 'string' && outcome !== '' ? outcome : null;
}

/** A phase packet, or null. */
export function parsePhase(payload: Uint8Array): PhaseChange | null {
  const record = decodeObject(payload);
  if (!record) return null;
  const phase = record['phase'];
  const remaining = record['remaining_s'];
  if (typeof phase !== 'string' || phase === '') return null;
  return {
    phase,
    remainingS: typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : null,
  };
}

/**
 * Which utterance a transcription stream belongs to and whose it is: the candidate's when
 * its segment id says so or it transcribes the local microphone's track, else the agent's.
 */
export function captionOf(
  streamId: string,
  attributes: Record<string, string> | undefined,
  localMicSid: string | undefined,
): CaptionUpdate {
  const attrs = attributes ?? {};
  const segmentId = attrs['lk.segment_id'] || streamId;
  const track = attrs['lk.transcribed_track_id'];
  const candidate =
    segmentId.startsWith('SG_candidate') || (localMicSid !== undefined && track === localMicSid);
  return {
    segmentId,
    side: candidate ? 'candidate' : 'agent',
    final: attrs['lk.transcription_final'] === 'true',
  };
}

const PHASE_LABELS: Record<string, string> = {
  not_started: 'Starting',
  opening: 'Introduction',
  background: 'Your background',
  technical: 'Technical questions',
  behavioral: 'Behavioral questions',
  coding: 'Coding exercise',
  candidate_questions: 'Your questions',
  wrap_up: 'Wrapping up',
  closing: 'Wrapping up',
};

/** A phase's name for people. */
export function phaseLabel(phase: string): string {
  const known = PHASE_LABELS[phase];
  if (known) return known;
  const words = phase.replace(/_/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Interview';
}

const STATE_LABELS: Record<AgentState, string> = {
  initializing: 'Getting ready',
  idle: 'Waiting',
  listening: 'Listening',
  thinking: 'Thinking',
  speaking: 'Speaking',
};

/** An agent state's visible label. */
export function agentStateLabel(state: AgentState): string {
  return STATE_LABELS[state];
}
