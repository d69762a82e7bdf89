// The JSON shapes of control-api that the pages read and write (see control-api/src).

// ---- Candidate side: invites (routes/invites.rs) ----

export interface Disclosure {
  version: string;
  interviewer: string;
  /** Paragraphs separated by blank lines, in the interview's language. */
  text: string;
}

export interface ConsentRecord {
  given_at: string;
  version: string;
}

export interface InvitePage {
  interview_id: string;
  candidate_name: string | null;
  role_title: string | null;
  position: string | null;
  duration_minutes: number;
  language: string;
  status: string;
  phase: string;
  remaining_s: number | null;
  expires_at: string;
  disclosure: Disclosure;
  consent: ConsentRecord | null;
  nudges: boolean;
}

export interface JoinResponse {
  url: string;
  token: string;
  room_name: string;
  identity: string;
  interview_id: string;
}

export interface CodeSubmitted {
  message: string;
  execution_result: unknown;
}

// ---- Recruiter side ----

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface RequiredSkill {
  name: string;
  level: string;
}

export interface RubricDimension {
  name: string;
  weight: number;
}

export interface InterviewStructure {
  technical: number;
  behavioral: number;
  coding: number;
}

export interface RoleInput {
  name: string;
  description?: string;
  category: string;
  experience_level: string;
  required_skills: RequiredSkill[];
  interview_structure: InterviewStructure;
  rubric: RubricDimension[];
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  category: string;
  experience_level: string;
  required_skills: RequiredSkill[];
  interview_structure: InterviewStructure;
  rubric: RubricDimension[];
  specialization: string | null;
  created_at: string;
  updated_at: string;
}

export interface Interview {
  id: string;
  title: string;
  role_id: string | null;
  resume_id: string | null;
  position: string | null;
  job_description: string | null;
  candidate_name: string | null;
  candidate_email: string | null;
  language: string;
  duration_minutes: number;
  status: string;
  phase: string;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InterviewCreate {
  role_id?: string;
  resume_id?: string;
  candidate_name?: string;
  duration_minutes: number;
  language: string;
  job_description?: string;
  interview_config?: Record<string, unknown>;
}

export interface CreatedInvite {
  id: string;
  interview_id: string;
  token: string;
  path: string;
  url: string;
  expires_at: string;
  created_at: string;
}

export interface Experience {
  company: string;
  title: string;
  start_date: string | null;
  end_date: string | null;
  description: string;
  highlights: string[];
}

export interface ParsedResume {
  contact: { name: string; email: string | null; phone: string | null; location: string | null };
  summary: string | null;
  experiences: Experience[];
  education: { institution: string; degree: string; field: string | null }[];
  skills: string[];
  certifications: string[];
}

export interface Resume {
  id: string;
  filename: string;
  parsed: ParsedResume;
}

export interface TranscriptTurn {
  turn: number;
  role: 'interviewer' | 'candidate' | string;
  text: string;
  code: string | null;
  language?: string;
  at: string;
}

export interface InterviewState {
  interview_id: string;
  status: string;
  phase: string;
  turn_count: number;
  conversation_history: TranscriptTurn[];
}

export interface Evidence {
  turn: number;
  quote: string;
}

export interface DimensionScore {
  name: string;
  weight: number;
  score: number;
  anchor: string;
  rationale: string;
  evidence: Evidence[];
  low_confidence: boolean;
  original_score?: number;
}

export interface SkillScore {
  skill: string;
  probed: boolean;
  mentions: number;
  score: number | null;
  evidence: Evidence[];
}

export interface EvaluationReport {
  dimensions: DimensionScore[];
  skills: SkillScore[];
  strengths: string[];
  concerns: string[];
  follow_up_questions: string[];
  overall_score: number;
  recommendation: 'strong_hire' | 'hire' | 'lean_no_hire' | 'no_hire';
  confidence: number;
}

export interface Override {
  dimension: string;
  from_score: number;
  to_score: number;
  reason: string;
  reviewer_id: string;
  at: string;
}

export interface Evaluation {
  status: 'pending' | 'ready' | 'failed' | string;
  reason: string | null;
  scorer: string;
  model: string | null;
  attempts: number;
  report: EvaluationReport | null;
  overrides: Override[];
}

export interface Coaching {
  audio_features: {
    speech_rate: number | null;
    pause_ratio: number;
    filler_word_ratio: number | null;
    pitch_variance: number | null;
  };
  speech_rate_source: string;
  pitch_mean_hz: number | null;
  volume: { speech_dbfs: number | null; noise_floor_dbfs: number | null; snr_db: number | null };
  talk_ratio: number | null;
  interruptions: number;
  nudges: number;
  words: number;
  fillers: number;
  speech_seconds: number;
  total_seconds: number;
}

export interface InterviewReport {
  interview_id: string;
  status: string;
  evaluation: Evaluation | null;
  coaching: Coaching | null;
}

export interface TimelinePoint {
  session: number;
  time: number;
  level_dbfs: number;
  speech_dbfs: number | null;
  f0_hz: number | null;
  syllables_per_second: number | null;
}

export interface Timeline {
  interview_id: string;
  points: TimelinePoint[];
  coaching: Coaching | null;
}

/** Statuses of an interview that is over (interviews.rs `ENDED`). */
export const ENDED_STATUSES = ['completed', 'left_early', 'failed'];

export function isEnded(status: string): boolean {
  return ENDED_STATUSES.includes(status);
}
