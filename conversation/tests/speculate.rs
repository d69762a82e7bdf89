//! Speculative replies and the quiet end of turn, in fake time with a Silero-like VAD
//! (640 ms hangover) and per-frame speech probabilities: the LLM starts on a settled,
//! complete sentence before the turn commits, the turn commits on quiet without waiting for
//! the VAD's speech end, a candidate who goes on is never answered by the speculation, and
//! in a conducted interview the conductor decides each reply exactly once.

mod common;

use std::time::Duration;

use common::{Llm, SILERO_HANGOVER, Sim, reply, t};
use conversation::conductor::{Brief, Conductor, Event, Language};
use conversation::{
    AgentState, Config, Instant, Message, Mode, Output, Role, Side, TranscriptSegment, TurnMetrics,
};

const GREETING: &str = "Hello. Tell me about a system you built.";
const ANSWER: &str = "I have built payment systems in Rust for five years.";
const FOLLOW_UP: &str = "What was the hardest part of that work?";

fn sim(mode: Mode) -> Sim {
    let mut sim = Sim::new(Config::default(), mode);
    sim.probabilities = true;
    sim.vad_hangover = SILERO_HANGOVER;
    sim
}

/// Starts the session and runs until the greeting has been said; returns the time.
fn greeted(sim: &mut Sim) -> f64 {
    sim.start();
    sim.run_until_state(AgentState::Speaking, 10.0)
        .expect("greeting plays");
    let at = sim
        .run_until_state(AgentState::Listening, 30.0)
        .expect("greeting ends");
    at.since_start().as_secs_f64()
}

/// Greets, then the candidate says `ANSWER` (2 s) half a second later; returns when the
/// greeting ended and when the answer did (seconds).
fn answered(sim: &mut Sim) -> (f64, f64) {
    let listening = greeted(sim);
    let (start, dur) = (listening + 0.5, 2.0);
    sim.say(start, dur, ANSWER);
    (listening, start + dur)
}

/// Greets, then the candidate says "I like Rust." (1 s) half a second later and, `gap`
/// seconds after it, "It is fast and safe." (1.5 s); returns when that second sentence
/// started (seconds).
fn goes_on_after(sim: &mut Sim, gap: f64) -> f64 {
    let listening = greeted(sim);
    let first = listening + 0.5;
    sim.say(first, 1.0, "I like Rust.");
    let second = first + 1.0 + gap;
    sim.say(second, 1.5, "It is fast and safe.");
    second
}

/// (time, request, history) of every LLM request.
fn llm_starts(sim: &Sim) -> Vec<(Instant, u64, Vec<Message>)> {
    sim.outputs
        .iter()
        .filter_map(|(at, o)| match o {
            Output::StartLlm {
                request, history, ..
            } => Some((*at, *request, history.clone())),
            _ => None,
        })
        .collect()
}

fn cancelled(sim: &Sim, request: u64) -> Option<Instant> {
    sim.first_at(|o| matches!(o, Output::CancelLlm { request: r } if *r == request))
}

/// When the candidate's final transcript (the commit) of segment `index` went out.
fn committed(sim: &Sim, index: u32) -> Instant {
    sim.first_at(|o| {
        matches!(o, Output::Transcript(TranscriptSegment { id, is_final: true, .. })
            if id.side == Side::Candidate && id.index == index)
    })
    .expect("turn committed")
}

fn metrics(sim: &Sim) -> Vec<TurnMetrics> {
    sim.outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Metrics(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn is_flush(o: &Output) -> bool {
    matches!(o, Output::FlushAudio)
}

fn secs(d: f64) -> Duration {
    Duration::from_secs_f64(d)
}

#[test]
fn a_complete_sentence_is_answered_by_a_reply_started_before_the_turn_commits() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
    let (listening, end) = answered(&mut sim);
    sim.run_until_state(AgentState::Speaking, end + 5.0)
        .expect("the reply plays");

    let starts = llm_starts(&sim);
    assert_eq!(starts.len(), 2, "greeting and one speculated reply");
    let (spec_at, spec, history) = &starts[1];
    assert_eq!(history.last().map(|m| m.text.as_str()), Some(ANSWER));
    assert!(cancelled(&sim, *spec).is_none(), "the speculation is used");
    let commit = committed(&sim, 0);
    let final_at = t(end + 0.3);
    assert!(
        *spec_at >= final_at && *spec_at < commit,
        "the LLM starts on the settled final ({spec_at:?}), before the commit ({commit:?})"
    );
    // The turn commits 600 ms after the last voiced frame, before the VAD's speech end.
    let vad_end = sim.vad_ends.last().copied().expect("VAD ended");
    assert!(
        commit <= t(end + 0.6 + 0.02) && commit < vad_end,
        "commit {commit:?}, speech ended at {end}, VAD end {vad_end:?}"
    );
    // Nothing of the speculation is spoken before the commit.
    let first_speak = sim
        .outputs
        .iter()
        .filter(|(at, o)| *at > t(listening) && matches!(o, Output::Speak { .. }))
        .map(|(at, _)| *at)
        .next()
        .expect("reply spoken");
    // The LLM's one sentence (300 ms to the first token, 30 ms a word, then the end of
    // the stream) goes to the TTS once it is worded and the turn has committed: it was
    // worded while the turn was ending, not after the commit.
    let worded = *spec_at + Duration::from_millis(300 + 8 * 30);
    assert_eq!(first_speak, worded.max(commit), "commit {commit:?}");
    let m = metrics(&sim);
    let turn = m.last().expect("the greeting's metrics");
    assert_eq!(m.len(), 1, "only the greeting has finished");
    assert!(!turn.speculative);
    sim.run_until_state(AgentState::Listening, end + 30.0)
        .expect("reply ends");
    let m = metrics(&sim);
    let turn = &m[1];
    assert!(turn.speculative && turn.wasted_generations == 0, "{turn:?}");
    assert!(
        turn.end_of_turn_delay.is_some_and(|d| d <= secs(0.62)),
        "{turn:?}"
    );
    let msgs = sim.engine.history().messages();
    assert_eq!(msgs[1].text, ANSWER);
    assert_eq!(msgs[2].text, FOLLOW_UP);
}

#[test]
fn a_candidate_who_goes_on_after_a_complete_sentence_never_hears_the_speculation() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script
        .extend([reply(GREETING), reply("WRONG REPLY."), reply(FOLLOW_UP)]);
    // The final comes 300 ms after the first sentence; the speculation starts then. The
    // candidate goes on 450 ms after it, before 600 ms of quiet could end the turn.
    let second = goes_on_after(&mut sim, 0.45);
    sim.run_until_state(AgentState::Speaking, second + 6.0)
        .expect("the reply plays");

    let starts = llm_starts(&sim);
    assert_eq!(starts.len(), 3, "greeting, wasted speculation, used one");
    let (wasted_at, wasted, history) = &starts[1];
    assert_eq!(
        history.last().map(|m| m.text.as_str()),
        Some("I like Rust.")
    );
    let gone = cancelled(&sim, *wasted).expect("the first speculation is cancelled");
    assert!(
        *wasted_at < t(second) && gone <= t(second + 0.15),
        "{gone:?}"
    );
    let (_, _, history) = &starts[2];
    assert_eq!(
        history.last().map(|m| m.text.as_str()),
        Some("I like Rust. It is fast and safe.")
    );
    let texts: Vec<String> = sim
        .outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Speak { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().all(|s| !s.contains("WRONG")),
        "the cancelled reply is never spoken: {texts:?}"
    );
    sim.run_until_state(AgentState::Listening, second + 30.0)
        .expect("reply ends");
    let turn = metrics(&sim)[1].clone();
    assert!(turn.speculative && turn.wasted_generations == 1, "{turn:?}");
    assert_eq!(sim.engine.history().messages()[2].text, FOLLOW_UP);
}

#[test]
fn an_incomplete_sentence_is_not_speculated_on_and_waits_for_the_rest() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
    let listening = greeted(&mut sim);
    let first = listening + 0.5;
    sim.say(first, 1.2, "I worked on the billing system and");
    let second = first + 1.2 + 1.5;
    sim.say(second, 1.2, "then I moved to search.");
    sim.run_until_state(AgentState::Speaking, second + 6.0)
        .expect("the reply plays");
    let starts = llm_starts(&sim);
    assert_eq!(starts.len(), 2, "no speculation on the open sentence");
    assert!(starts[1].0 > t(second + 1.2), "{:?}", starts[1].0);
    let commit = committed(&sim, 0);
    assert!(commit > t(second + 1.2), "committed at {commit:?}");
}

#[test]
fn a_failed_speculation_is_not_retried_before_the_commit_which_asks_again() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([
        reply(GREETING),
        Llm::Error {
            after: Duration::from_millis(50),
        },
        reply(FOLLOW_UP),
    ]);
    let listening = greeted(&mut sim);
    let start = listening + 0.5;
    sim.say(start, 2.0, ANSWER);
    sim.run_until_state(AgentState::Speaking, start + 8.0)
        .expect("the reply plays");
    let starts = llm_starts(&sim);
    assert_eq!(
        starts.len(),
        3,
        "greeting, failed speculation, the commit's"
    );
    let commit = committed(&sim, 0);
    assert!(starts[1].0 < commit && starts[2].0 == commit);
    sim.run_until_state(AgentState::Listening, start + 30.0)
        .expect("reply ends");
    let turn = metrics(&sim)[1].clone();
    assert!(
        !turn.speculative && turn.wasted_generations == 1,
        "{turn:?}"
    );
    assert_eq!(sim.engine.history().messages()[2].text, FOLLOW_UP);
}

#[test]
fn a_conducted_interview_decides_each_speculated_reply_once() {
    let brief = Brief {
        role: "Backend Engineer".into(),
        skills: vec!["Rust".into()],
        claims: vec![],
        behavioral: 1,
        coding: false,
        duration: Duration::from_secs(600),
        language: Language::English,
        candidate_name: None,
    };
    let mut sim = sim(Mode::Conducted {
        conductor: Box::new(Conductor::new(brief)),
        llm_words: true,
    });
    sim.llm_script.extend([reply(FOLLOW_UP), reply(FOLLOW_UP)]);
    let listening = greeted(&mut sim);
    let start = listening + 0.5;
    sim.say(start, 1.0, "Yes, I agree.");
    sim.run_until_state(AgentState::Speaking, start + 6.0)
        .expect("the first question plays");
    let commit = committed(&sim, 0);
    let consent: Vec<Instant> = sim
        .outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Conductor(Event::Consent(true))))
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(consent, [commit], "consent recorded once, at the commit");
    let starts = llm_starts(&sim);
    assert_eq!(
        starts.len(),
        1,
        "the disclosure is verbatim; one speculated request"
    );
    assert!(starts[0].0 < commit, "{:?} {commit:?}", starts[0].0);
    let history = &starts[0].2;
    assert_eq!(history.last().map(|m| m.role), Some(Role::Candidate));
    sim.run_until_state(AgentState::Listening, start + 30.0)
        .expect("the question ends");
    let turn = metrics(&sim)[1].clone();
    assert!(turn.speculative, "{turn:?}");
}

#[test]
fn a_candidate_who_goes_on_during_the_vad_hangover_is_not_talked_over() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script
        .extend([reply(GREETING), reply(FOLLOW_UP), reply(FOLLOW_UP)]);
    let (_, end) = answered(&mut sim);
    // The turn commits on quiet at +600 ms; the VAD, still in its 640 ms hangover, sends no
    // new speech start for words that follow at +620 ms.
    let more = end + 0.62;
    sim.say(more, 1.5, "And I led the team that moved it to the cloud.");
    sim.run_secs(more + 1.5);
    let commit = committed(&sim, 0);
    assert!(commit < t(more), "the first sentence committed: {commit:?}");
    // Voice heard after the commit opens an episode at once: playout is ducked before
    // the reply's first audio, and the reply stops at the verdict (this simulation does not
    // model the duck's attenuation, only when it is asked for).
    let first_audio = sim
        .agent_frames
        .iter()
        .copied()
        .find(|f| *f > commit)
        .expect("the reply started");
    let duck = sim.first_at(|o| matches!(o, Output::Duck)).expect("ducked");
    assert!(
        duck <= t(more + 0.04) && duck < first_audio,
        "duck {duck:?}, first audio {first_audio:?}"
    );
    // Words (the interim half way through) or 700 ms of voice decide the interruption.
    let flush = sim.first_at(is_flush).expect("the reply stopped");
    assert!(flush <= t(more + 0.75), "{flush:?}");
    let after: Vec<Instant> = sim
        .agent_frames
        .iter()
        .copied()
        .filter(|f| *f > flush && *f < t(more + 1.5))
        .collect();
    assert!(after.is_empty(), "agent audio after the stop: {after:?}");
    sim.run_until_state(AgentState::Speaking, more + 8.0)
        .expect("the reply plays after the candidate finishes");
    let msgs = sim.engine.history().messages();
    assert_eq!(
        msgs.last().map(|m| (m.role, m.text.as_str())),
        Some((
            Role::Candidate,
            "And I led the team that moved it to the cloud."
        )),
        "{msgs:?}"
    );
}

#[test]
fn the_recognizers_utterance_end_ends_an_unpunctuated_turn_but_not_an_open_one() {
    use conversation::InputKind;
    for (text, open) in [
        ("i mostly write rust these days", false),
        ("i mostly write rust and", true),
    ] {
        let mut sim = sim(Mode::Llm);
        sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
        let listening = greeted(&mut sim);
        let (start, dur) = (listening + 0.5, 1.5);
        let end = start + dur;
        sim.say(start, dur, text);
        // A noisy room: the VAD goes on hearing sound for three seconds after the words.
        sim.noise(end + 0.1, 3.0);
        // Deepgram's UtteranceEnd: a second without words after the last one.
        sim.schedule(
            end + 1.05,
            InputKind::SttUtteranceEnd {
                last_word_end: t(end),
            },
        );
        sim.run_secs(end + 4.0);
        let commit = sim.first_at(|o| {
            matches!(o, Output::Transcript(TranscriptSegment { id, is_final: true, .. })
                if id.side == Side::Candidate)
        });
        if open {
            // A trailing "and" still waits for the VAD rule (the noise's end + 3 s).
            assert_eq!(commit, None, "{text}");
        } else {
            // Without it, the turn would wait for the noise to end, then 1 s more.
            assert_eq!(commit, Some(t(end + 1.05)), "{text}");
        }
    }
}

/// Every `FinalizeStt` the engine asked for.
fn finalizes(sim: &Sim) -> Vec<Instant> {
    sim.outputs_where(|o| matches!(o, Output::FinalizeStt))
        .into_iter()
        .map(|(at, _)| at)
        .collect()
}

#[test]
fn the_recognizer_is_asked_for_its_final_100_ms_after_the_last_voiced_frame_once() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
    let (_, end) = answered(&mut sim);
    sim.run_secs(end + 0.29);
    // One request, 100 ms after the last voiced frame (on a 20 ms frame grid), while the
    // text is still the interim: the final can come back before the VAD's hangover is half
    // over.
    let asked = finalizes(&sim);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0] >= t(end + 0.1 - 0.02) && asked[0] <= t(end + 0.1 + 0.02),
        "asked at {:?}, speech ended at {end}",
        asked[0]
    );
    // No voice since: the final settles the text and nothing is asked again.
    sim.run_secs(end + 1.0);
    assert_eq!(finalizes(&sim).len(), 1);
}

#[test]
fn a_gap_between_words_shorter_than_100_ms_does_not_finalize() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
    let listening = greeted(&mut sim);
    let start = listening + 0.5;
    sim.say(start, 1.0, "I moved the service to Rust");
    // 60 ms of silence (a stop consonant, a breath), then the sentence goes on.
    let second = start + 1.06;
    sim.say(second, 1.0, "because the old one kept crashing.");
    sim.run_secs(second + 1.0 + 0.3);
    let asked = finalizes(&sim);
    assert_eq!(asked.len(), 1, "only after the whole sentence: {asked:?}");
    assert!(asked[0] >= t(second + 1.0 + 0.1 - 0.02), "{asked:?}");
}

/// `ANSWER` (2 s) said to a speech model that scores each frame 130 ms after its audio,
/// its window reaching `overhang` past the frame; runs until the reply plays. Returns the
/// sim and when the speech ended (seconds).
fn answered_by_a_late_model(overhang: Duration) -> (Sim, f64) {
    let mut sim = sim(Mode::Llm);
    sim.probability_lag = Duration::from_millis(130);
    sim.probability_overhang = overhang;
    sim.llm_script.extend([reply(GREETING), reply(FOLLOW_UP)]);
    let (_, end) = answered(&mut sim);
    sim.run_until_state(AgentState::Speaking, end + 5.0)
        .expect("the reply plays");
    (sim, end)
}

#[test]
fn a_speech_model_that_scores_late_does_not_make_the_turn_end_late() {
    // Silero judges each window about 130 ms after its audio. The probabilities say which
    // audio they judged, and the level of the frames not judged yet is known at once.
    let (sim, end) = answered_by_a_late_model(Duration::ZERO);
    // Asked once, 100 ms after the speech, not 100 ms after the late verdict.
    let asked = finalizes(&sim);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0] >= t(end + 0.1 - 0.02) && asked[0] <= t(end + 0.1 + 0.02),
        "asked at {:?}, speech ended at {end}",
        asked[0]
    );
    // The turn commits 600 ms after the speech, not 600 ms after the late verdict.
    let commit = committed(&sim, 0);
    assert!(
        commit <= t(end + 0.6 + 0.02),
        "commit {commit:?}, end {end}"
    );
    let starts = llm_starts(&sim);
    assert_eq!(starts.len(), 2, "one speculated reply, used");
    assert!(cancelled(&sim, starts[1].1).is_none());
}

#[test]
fn a_model_window_that_reaches_past_the_speech_does_not_ask_for_a_second_final() {
    // Silero's 32 ms window that holds the last sound ends up to a window after the last
    // loud frame: its late "voiced" is the same speech, not more, and a second Finalize in
    // the same quiet would be wasted on the recognizer.
    let (sim, _) = answered_by_a_late_model(Duration::from_millis(30));
    let asked = finalizes(&sim);
    assert_eq!(asked.len(), 1, "{asked:?}");
}

#[test]
fn a_late_scoring_model_still_holds_the_turn_for_a_candidate_who_goes_on() {
    // The level of unjudged frames holds the quiet: words that follow a complete sentence
    // after 450 ms are heard at once, though the model judges them 130 ms later.
    let mut sim = sim(Mode::Llm);
    sim.probability_lag = Duration::from_millis(130);
    sim.llm_script
        .extend([reply(GREETING), reply(FOLLOW_UP), reply(FOLLOW_UP)]);
    let (_, end) = answered(&mut sim);
    let more = end + 0.45;
    sim.say(more, 1.5, "And I led the team that moved it to the cloud.");
    sim.run_until_state(AgentState::Speaking, more + 8.0)
        .expect("the reply plays after the candidate finishes");
    let commit = committed(&sim, 0);
    assert!(commit > t(more + 1.5), "committed at {commit:?}");
    let msgs = sim.engine.history().messages();
    assert_eq!(
        msgs.last().map(|m| m.text.as_str()),
        Some(format!("{ANSWER} And I led the team that moved it to the cloud.").as_str()),
        "{msgs:?}"
    );
}

/// (time, text) of every sentence handed to the voice to synthesize ahead.
fn prepared(sim: &Sim) -> Vec<(Instant, String)> {
    sim.outputs
        .iter()
        .filter_map(|(at, o)| match o {
            Output::PrepareSpeech { text } => Some((*at, text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_speculative_replys_first_sentence_is_synthesized_before_the_commit() {
    // A fast LLM words the reply while the turn is still ending: its first sentence goes to
    // the voice ahead, and the commit speaks exactly that text (the voice uses its audio).
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([
        reply(GREETING),
        Llm::Reply {
            text: "Interesting. What was the hardest part of that work?".into(),
            ttft: Duration::from_millis(50),
        },
    ]);
    let (listening, end) = answered(&mut sim);
    sim.run_until_state(AgentState::Speaking, end + 5.0)
        .expect("the reply plays");
    let commit = committed(&sim, 0);
    let ahead = prepared(&sim);
    assert_eq!(ahead.len(), 1, "{ahead:?}");
    assert_eq!(ahead[0].1, "Interesting.");
    assert!(
        ahead[0].0 < commit,
        "prepared {:?}, commit {commit:?}",
        ahead[0].0
    );
    let first_speak = sim
        .outputs
        .iter()
        .find_map(|(at, o)| match o {
            Output::Speak { text, .. } if *at > t(listening) => Some((*at, text.clone())),
            _ => None,
        })
        .expect("reply spoken");
    assert_eq!(first_speak.1, ahead[0].1);
    assert!(first_speak.0 >= commit);
    assert_eq!(sim.count(|o| matches!(o, Output::DropPreparedSpeech)), 0);
}

#[test]
fn a_cancelled_speculation_drops_the_sentence_it_prepared_and_never_speaks_it() {
    let mut sim = sim(Mode::Llm);
    sim.llm_script.extend([
        reply(GREETING),
        Llm::Reply {
            text: "WRONG REPLY.".into(),
            ttft: Duration::from_millis(20),
        },
        reply(FOLLOW_UP),
    ]);
    // The candidate goes on 500 ms after the sentence: after the fast speculation worded
    // its reply, before 600 ms of quiet could end the turn.
    let second = goes_on_after(&mut sim, 0.5);
    sim.run_until_state(AgentState::Speaking, second + 6.0)
        .expect("the reply plays");
    let ahead = prepared(&sim);
    assert_eq!(ahead.first().map(|p| p.1.as_str()), Some("WRONG REPLY."));
    assert!(ahead[0].0 < t(second), "{ahead:?}");
    let dropped = sim
        .first_at(|o| matches!(o, Output::DropPreparedSpeech))
        .expect("the prepared sentence is dropped");
    assert!(
        dropped > ahead[0].0 && dropped <= t(second + 0.15),
        "{dropped:?}"
    );
    let spoken: Vec<String> = sim
        .outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Speak { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(spoken.iter().all(|s| !s.contains("WRONG")), "{spoken:?}");
}
