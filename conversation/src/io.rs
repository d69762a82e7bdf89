//! The engine's boundary types: what goes in, what comes out.

use std::ops::Range;
use std::time::Duration;

use crate::Instant;
use crate::history::Message;
use crate::metrics::TurnMetrics;
use crate::scripted::ScriptedResponder;

/// Identifies one LLM request; events for older requests are ignored.
pub type RequestId = u64;
/// Identifies one sentence chunk sent to the TTS.
pub type SpeechId = u64;

/// One event for the engine, stamped with the time it happened.
#[derive(Clone, Debug)]
pub struct Input {
    pub at: Instant,
    pub kind: InputKind,
}

/// What happened.
#[derive(Clone, Debug)]
pub enum InputKind {
    /// The session is ready: the agent opens the conversation.
    Start,
    /// The VAD detected speech that began at `started` (may precede the input's `at`).
    VadSpeechStart {
        started: Instant,
    },
    /// The VAD detected that speech ended at `ended` (may precede the input's `at`).
    VadSpeechEnd {
        ended: Instant,
    },
    /// Speech probability of candidate audio that ended at `audio_end`, one per 20 ms frame
    /// (or none at all: then barge-in judges speech by wall time between VAD events). A
    /// model that scores with a look-ahead reports audio that ended before the input's `at`.
    SpeechProbability {
        p: f32,
        audio_end: Instant,
    },
    /// RMS of one received candidate frame.
    InboundEnergy(f32),
    /// RMS of one frame the agent sent (its outbound envelope).
    OutboundEnergy(f32),
    Stt(SttResult),
    /// The recognizer judged the utterance over (no words for a while); its last word
    /// ended at `last_word_end`.
    SttUtteranceEnd {
        last_word_end: Instant,
    },
    LlmToken {
        request: RequestId,
        token: String,
    },
    LlmDone {
        request: RequestId,
    },
    LlmError {
        request: RequestId,
    },
    /// Synthesized audio of `speech`: `duration` long, covering bytes `span` of its text.
    TtsChunk {
        speech: SpeechId,
        duration: Duration,
        span: Range<usize>,
    },
    TtsDone {
        speech: SpeechId,
    },
    /// `samples` of `speech` actually sent to the room so far (cumulative).
    Playout {
        speech: SpeechId,
        samples: u64,
    },
    /// The next candidate turn follows a question that needs thought.
    ExpectThinking,
    Timer,
}

/// A speech-to-text result; times are on the engine's clock.
#[derive(Clone, Debug)]
pub struct SttResult {
    pub text: String,
    pub is_final: bool,
    pub start: Instant,
    pub end: Instant,
    pub confidence: f32,
}

/// What the IO shell must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    StartLlm {
        request: RequestId,
        history: Vec<Message>,
        /// What this reply must do (the conductor's decision), for the LLM to word; sent
        /// after the history as the last instruction.
        instruction: Option<String>,
    },
    /// Something the conductor decided that the host records (phase, consent, the end).
    Conductor(crate::conductor::Event),
    CancelLlm {
        request: RequestId,
    },
    /// Synthesize `text`; its audio plays after the audio of every earlier speech id.
    Speak {
        speech: SpeechId,
        text: String,
    },
    /// The first sentence of a speculative reply: the voice may synthesize it ahead and
    /// hold the audio, unplayed, for a later [`Output::Speak`] of exactly this text (the
    /// turn committed and used the speculation). Replaces any speech prepared before.
    PrepareSpeech {
        text: String,
    },
    /// The speculation whose sentence was prepared was cancelled: drop its audio.
    DropPreparedSpeech,
    /// Ask the recognizer to settle what it has heard into a final result now: the
    /// candidate has been quiet for a moment (Deepgram's `Finalize`).
    FinalizeStt,
    /// Cancel pending synthesis and drop audio whose playout has not started.
    CancelTts,
    /// Stop playout now: drop all queued audio, including the sentence playing.
    FlushAudio,
    /// Candidate speech is being judged: lower the agent's voice at once (it goes on,
    /// quieter, so a backchannel leaves no hole; nothing is lost).
    Duck,
    /// Judged harmless (a backchannel, a noise, echo): the agent's voice back to full level.
    Unduck,
    Transcript(TranscriptSegment),
    State(AgentState),
    Metrics(TurnMetrics),
    /// Nothing more now; call back with [`InputKind::Timer`] at this time (if any).
    Timeout(Option<Instant>),
}

/// `lk.agent.state` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentState {
    Initializing,
    Idle,
    Listening,
    Thinking,
    Speaking,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Agent,
    Candidate,
}

/// Transcript segment id: one per turn and side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentId {
    pub side: Side,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptSegment {
    pub id: SegmentId,
    pub text: String,
    pub is_final: bool,
}

/// Where replies come from.
#[derive(Debug)]
pub enum Mode {
    Llm,
    Scripted(ScriptedResponder),
    /// The conductor decides every move and the end; `llm_words` has the LLM word each
    /// decision (else the conductor's templates are spoken).
    Conducted {
        conductor: Box<crate::conductor::Conductor>,
        llm_words: bool,
    },
}
