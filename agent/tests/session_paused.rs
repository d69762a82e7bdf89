//! The voice session shell in paused tokio time: `session::run` (and the worker's runner)
//! over the paced in-memory room with scripted providers (`paused/`). Every scenario of the
//! real-room `voice_*` tests plus the provider faults, the drain goodbye and the resume after
//! a re-dispatch; each runs a minute of conversation or less in well under a second, and the
//! same script gives the same session every time.

mod paused;

use std::sync::Arc;
use std::time::Duration;

use agent::session::runner::{END_GRACE, GOODBYE, RESUMED, resume};
use agent::session::{Ending, PROVIDER_DOWN, SessionReport, VoiceRunner};
use agent::transport::{AgentState, RoomEvent};
use contract::agent::{Outcome, Speaker};
use contract::live::EndMessage;
use conversation::{Message, Role};
use paused::{
    CANDIDATE, Call, Echo, Rig, ScriptedLlm, ScriptedStt, ScriptedTts, SttScript, assert_heard,
    audio, config, speech, voiced, words,
};

/// The engine's apology when the LLM or the voice fails for good.
const APOLOGY: &str = "Sorry, I'm having technical trouble. Could you say that again?";

fn stt(utterances: &[&str]) -> ScriptedStt {
    ScriptedStt::new(SttScript {
        utterances: utterances.iter().map(|u| (*u).to_owned()).collect(),
        ..SttScript::default()
    })
}

fn texts(messages: &[Message], role: Role) -> Vec<Vec<String>> {
    messages
        .iter()
        .filter(|m| m.role == role)
        .map(|m| words(&m.text))
        .collect()
}

fn all_words(list: &[&str]) -> Vec<Vec<String>> {
    list.iter().map(|t| words(t)).collect()
}

/// The agent's final transcripts, in order.
fn agent_finals(rig: &Rig) -> Vec<String> {
    rig.finals()
        .into_iter()
        .filter(|(id, _)| id.starts_with("SG_agent"))
        .map(|(_, text)| text)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_agent_greets_once_it_is_heard() {
    const GREETING: &str =
        "Hello, and welcome to the interview. Could you start by telling me your name?";
    let llm = Arc::new(ScriptedLlm::new([Call::Reply(GREETING.into())]));
    let tts = Arc::new(ScriptedTts::new(0));
    let stt = stt(&[]);
    let mut c = config(&stt, &tts, Some(&llm), &[]);
    c.end_when_done = false;
    let mut rig = Rig::start_unsubscribed(c, None);

    // Nobody hears the agent for two seconds: it waits, silent.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rig.agent_frames(), 0);
    assert!(
        llm.requests().is_empty(),
        "asked the LLM before anyone listened"
    );
    let heard_from = tokio::time::Instant::now();
    rig.subscribe();
    let greeting = rig.agent_final(0).await;
    let report = rig.stop().await;

    assert_eq!(greeting, GREETING);
    let requests = llm.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].len(),
        1,
        "the system prompt alone: {requests:?}"
    );
    assert_eq!(requests[0][0].content, "You are an interviewer.");
    // Every sentence was voiced once and played in full, in order.
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
    let spoken: Vec<String> = tts.texts().iter().flat_map(|t| words(t)).collect();
    assert_eq!(spoken, words(GREETING));
    let first = rig.peer.inspect(|s| s.played_at[0]) - heard_from;
    eprintln!(
        "first audio {first:?} after the subscription; turn {:?}",
        report.turns[0]
    );
    assert!(
        first <= Duration::from_millis(400),
        "first audio after {first:?}"
    );
    let states = rig.peer.inspect(|s| s.states.clone());
    assert_eq!(
        states,
        [
            AgentState::Initializing,
            AgentState::Thinking,
            AgentState::Speaking,
            AgentState::Listening
        ]
    );
    assert_eq!(report.history.len(), 1);
    assert!(!report.history[0].interrupted);
    assert_eq!(report.ending, Ending::Cancelled);
}

const QUESTIONS: [&str; 5] = [
    "Hello. Please tell me your name.",
    "Which language do you like most?",
    "What did you build last year?",
    "How do you test your code?",
    "Why do you want this job?",
];
const ANSWERS: [&str; 5] = [
    "My name is Alex Morgan.",
    "I like Rust the most.",
    "I built a message queue.",
    "Um, I write tests for, uh, every change.",
    "I enjoy hard problems here.",
];

/// Five questions, five answers and the closing; the session ends by itself.
async fn five_turns() -> (Rig, SessionReport, Arc<ScriptedTts>) {
    let stt = stt(&ANSWERS);
    let tts = Arc::new(ScriptedTts::new(0));
    let mut rig = Rig::start(config(&stt, &tts, None, &QUESTIONS), None);
    for (i, answer) in ANSWERS.iter().enumerate() {
        let asked = rig.agent_final(i).await;
        assert_eq!(asked, QUESTIONS[i], "question {i}");
        rig.say(&speech(answer)).await;
    }
    let closing = rig.agent_final(5).await;
    assert!(closing.contains("last question"), "closing: {closing}");
    let report = rig.finished().await;
    (rig, report, tts)
}

#[tokio::test(start_paused = true)]
async fn five_turns_complete_with_ordered_transcripts() {
    let (rig, report, tts) = five_turns().await;

    assert_eq!(report.ending, Ending::Finished);
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push((format!("SG_agent_{i}"), words(QUESTIONS[i])));
        expected.push((format!("SG_candidate_{i}"), words(ANSWERS[i])));
    }
    expected.push(("SG_agent_5".into(), words(&report.history[10].text)));
    let got: Vec<_> = rig
        .finals()
        .into_iter()
        .map(|(id, text)| (id, words(&text)))
        .collect();
    assert_eq!(got, expected, "final transcripts in conversation order");
    // Interim candidate text came before each final, under the same segment id.
    let transcriptions = rig.peer.inspect(|s| s.transcriptions.clone());
    for i in 0..5 {
        let id = format!("SG_candidate_{i}");
        let interim = transcriptions
            .iter()
            .position(|t| t.segment_id == id && !t.is_final);
        let last = transcriptions
            .iter()
            .position(|t| t.segment_id == id && t.is_final);
        assert!(
            matches!((interim, last), (Some(a), Some(b)) if a < b),
            "{id}: interim {interim:?}, final {last:?}"
        );
    }
    let states = rig.peer.inspect(|s| s.states.clone());
    for state in [
        AgentState::Speaking,
        AgentState::Listening,
        AgentState::Thinking,
    ] {
        assert!(states.contains(&state), "never {state:?}: {states:?}");
    }
    assert_eq!(states.last(), Some(&AgentState::Idle));

    // The history alternates, nothing was cut, and the hooks heard it all in order.
    let roles: Vec<Role> = report.history.iter().map(|m| m.role).collect();
    assert_eq!(roles.len(), 11, "{:?}", report.history);
    assert!(
        roles
            .chunks(2)
            .all(|p| p[0] == Role::Agent && p.get(1).is_none_or(|r| *r == Role::Candidate))
    );
    assert!(report.history.iter().all(|m| !m.interrupted));
    assert_eq!(rig.messages(), report.history);
    // Every line was voiced once and played in full, in order.
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));

    // Each reply: ready once the turn could be known over, its audio queued 90 ms later
    // (the voice's time to first byte) and nothing in between.
    assert_eq!(report.turns.len(), 6);
    assert_eq!(report.traces.len(), 5);
    for (t, trace) in report.turns.iter().skip(1).zip(&report.traces) {
        let e2e = t.end_to_end.expect("end of speech to agent audio");
        let added = trace.first_audio_queued.expect("queued") - trace.committed;
        eprintln!(
            "turn {}: end of turn {:?}, STT final {:?}, end to end {e2e:?}, commit to audio {added:?}, ready to commit {:?}",
            t.turn,
            t.end_of_turn_delay,
            t.stt_final_delay,
            trace.committed.checked_sub(trace.ready)
        );
        assert_eq!(added, Duration::from_millis(90), "turn {}", t.turn);
        assert!(trace.committed >= trace.ready);
        assert!(
            e2e >= Duration::from_millis(500) && e2e < Duration::from_millis(1500),
            "turn {} took {e2e:?}",
            t.turn
        );
    }

    // Fillers come from the recognizer's words: two in 27.
    let delivery = report.delivery.expect("a delivery summary");
    let count: usize = ANSWERS.iter().map(|a| words(a).len()).sum();
    assert_eq!((delivery.words as usize, delivery.fillers), (count, 2));
    assert_eq!(delivery.speech_rate_source, "transcript");
    assert!(delivery.speech_seconds > 5.0, "{delivery:?}");
}

const LONG_ANSWER: &str = "Let me describe the role in some detail before my first question. \
The team builds a storage engine that serves many thousands of requests every second. \
You would work on the replication layer, on the query planner, and on the tools we use \
to watch the whole system in production. Most of the work happens in Rust, with some \
Python for the tooling around it. We review every change carefully and we value clear \
writing as much as clear code. Now, before we go on, do you have any questions?";
const INTERRUPTION: &str = "Sorry, may I ask something about the team first?";
const AFTER: &str = "Sure, go ahead and ask.";

/// The candidate talks over a long answer once three seconds of it were played; how long
/// the agent went on after the candidate's onset.
async fn barge_in() -> (
    Rig,
    SessionReport,
    Arc<ScriptedLlm>,
    Arc<ScriptedTts>,
    Duration,
) {
    let llm = Arc::new(ScriptedLlm::new([
        Call::Reply(LONG_ANSWER.into()),
        Call::Reply(AFTER.into()),
    ]));
    let tts = Arc::new(ScriptedTts::new(0));
    let stt = stt(&[INTERRUPTION]);
    let rig = Rig::start(config(&stt, &tts, Some(&llm), &[]), None);
    rig.wait("three seconds of the answer", |s| {
        (s.audio.len() >= 150).then_some(())
    })
    .await;
    let n = rig.mic.say(&speech(INTERRUPTION));
    let reply = rig.agent_final(1).await;
    assert_eq!(reply, AFTER);
    let (onset, _) = rig.mic.said(n).await;
    // The agent was speaking when the candidate began, and fell silent at the last frame
    // played before its reply.
    let played = rig.peer.inspect(|s| s.played_at.clone());
    assert!(
        played
            .iter()
            .any(|&t| t <= onset && onset - t <= Duration::from_millis(20)),
        "the agent was not speaking at the onset"
    );
    let stopped = played
        .windows(2)
        .find(|w| w[0] >= onset && w[1] - w[0] > Duration::from_millis(500))
        .map(|w| w[0])
        .expect("the agent paused before its reply");
    let mut rig = rig;
    let report = rig.stop().await;
    (rig, report, llm, tts, stopped - onset)
}

#[tokio::test(start_paused = true)]
async fn talking_over_the_agent_stops_it_within_600_ms() {
    let (rig, report, llm, tts, after) = barge_in().await;

    eprintln!(
        "agent audio stopped {after:?} after the candidate's onset; ducks {:?}, flushes {:?}",
        report.ducks, report.flushes
    );
    assert!(after <= Duration::from_millis(600), "went on for {after:?}");
    assert_eq!(report.flushes.len(), 1, "{:?}", report.flushes);
    // The history keeps the words played, a strict prefix of the answer, marked
    // interrupted; then the interruption, then the reply.
    let first = &report.history[0];
    assert_eq!(first.role, Role::Agent);
    assert!(first.interrupted, "{:?}", report.history);
    let (heard, all) = (words(&first.text), words(LONG_ANSWER));
    assert!(
        heard.len() >= 8 && heard.len() < all.len() - 10,
        "kept {} of {} words: {:?}",
        heard.len(),
        all.len(),
        first.text
    );
    assert_eq!(heard[..], all[..heard.len()]);
    assert_eq!(report.history[1].role, Role::Candidate);
    assert_eq!(words(&report.history[1].text), words(INTERRUPTION));
    assert_eq!(words(&report.history[2].text), words(AFTER));
    assert!(report.turns[0].interrupted);
    assert_eq!(
        agent_finals(&rig).first().map(String::as_str),
        Some(first.text.as_str())
    );
    // The room heard the start of the answer, nothing twice, then the whole reply.
    let (audio, texts) = (rig.agent_audio(), tts.texts());
    assert_eq!(texts.last().map(String::as_str), Some(AFTER));
    let reply = voiced(&texts[texts.len() - 1..]);
    let answer = voiced(&texts[..texts.len() - 1]);
    assert!(audio.ends_with(&reply));
    let cut = audio.len() - reply.len();
    assert!(cut < answer.len());
    let ducked = assert_heard(&audio[..cut], &answer[..cut]);
    assert!(ducked > 0, "the agent ducked before it stopped");
    // The LLM heard that the candidate did not hear the rest.
    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1][1].content,
        format!("{} [interrupted]", first.text)
    );
    assert_eq!(requests[1][2].content, report.history[1].text);
}

const EXPLANATION: &str = "Before we begin, let me explain how this interview works. \
I will ask you five questions about your experience, and you can take your time with \
each answer. There are no trick questions, and it is fine to think out loud. \
If something is unclear, just ask me to repeat it. When you are ready, \
tell me about the last system you designed.";

#[tokio::test(start_paused = true)]
async fn a_backchannel_and_a_cough_do_not_interrupt_the_agent() {
    let stt = stt(&["Mhmm."]);
    let tts = Arc::new(ScriptedTts::new(0));
    let mut rig = Rig::start(config(&stt, &tts, None, &[EXPLANATION]), None);
    rig.agent_words(0, 6).await;
    let mut mhmm = audio::voice(0.4, 130.0, 5);
    mhmm.extend(audio::silence(0.3));
    rig.say(&mhmm).await;
    rig.agent_words(0, 25).await;
    rig.say(&audio::cough()).await;
    let said = rig.agent_final(0).await;
    let report = rig.stop().await;

    eprintln!("ducks while judging: {:?}", report.ducks);
    assert_eq!(words(&said), words(EXPLANATION), "the whole question");
    assert!(report.flushes.is_empty(), "flushed at {:?}", report.flushes);
    assert_eq!(
        agent_finals(&rig).len(),
        1,
        "the question was not restarted"
    );
    // Nothing was lost or repeated: the room heard exactly the voiced question.
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
    assert_eq!(report.history.len(), 1, "{:?}", report.history);
    assert!(!report.history[0].interrupted);
    assert_eq!(words(&report.history[0].text), words(EXPLANATION));
    // Both bursts were heard: the agent held its voice while judging each, briefly.
    assert_eq!(report.ducks.len(), 2, "{:?}", report.ducks);
    assert!(
        report.ducks.iter().all(|d| *d < Duration::from_secs(2)),
        "{:?}",
        report.ducks
    );
    assert_eq!(
        stt.record().finals,
        ["Mhmm."],
        "the recognizer heard the mhmm"
    );
}

#[tokio::test(start_paused = true)]
async fn echo_at_minus_20_db_never_interrupts_the_agent() {
    const QUESTIONS: [&str; 3] = [
        "Hello. Please tell me about the work you do today, and what you enjoy the most about it.",
        "Thank you. Which tools do you reach for when a production system misbehaves at night?",
        "Good. How do you explain a difficult technical decision to people outside your team?",
    ];
    const ANSWERS: [&str; 3] = [
        "I build payment systems.",
        "I start with the logs.",
        "I draw a simple picture.",
    ];
    // The recognizer's gate sits above the echo: only the candidate's words become text.
    // The echo still reaches the VAD and the engine's echo guard.
    let stt = ScriptedStt::new(SttScript {
        utterances: ANSWERS.iter().map(|a| (*a).to_owned()).collect(),
        rms_gate: 0.05,
        ..SttScript::default()
    });
    let tts = Arc::new(ScriptedTts::new(0));
    let echo = Echo {
        gain: 0.1,
        delay: Duration::from_millis(120),
    };
    let mut rig = Rig::start(config(&stt, &tts, None, &QUESTIONS), Some(echo));
    let mut own_speech = 0.0;
    for (i, answer) in ANSWERS.iter().enumerate() {
        let asked = rig.agent_final(i).await;
        assert_eq!(words(&asked), words(QUESTIONS[i]), "question {i} was cut");
        let said = speech(answer);
        own_speech += said.len() as f64 / audio::RATE;
        rig.say(&said).await;
    }
    rig.agent_final(3).await;
    let report = rig.finished().await;

    eprintln!("ducks: {:?}, flushes: {:?}", report.ducks, report.flushes);
    assert!(
        report.flushes.is_empty(),
        "flushed itself at {:?}",
        report.flushes
    );
    assert!(
        report.history.iter().all(|m| !m.interrupted),
        "{:?}",
        report.history
    );
    assert_eq!(texts(&report.history, Role::Candidate), all_words(&ANSWERS));
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
    // The echo was loud enough for the VAD: it heard far more speech than the candidate's.
    let delivery = report.delivery.expect("a delivery summary");
    eprintln!(
        "VAD speech {:.1} s, the candidate's own {own_speech:.1} s",
        delivery.speech_seconds
    );
    assert!(
        delivery.speech_seconds > own_speech + 5.0,
        "the echo never reached the VAD: {} s of speech",
        delivery.speech_seconds
    );
}

#[tokio::test(start_paused = true)]
async fn a_pause_after_and_does_not_end_the_turn() {
    const FIRST: &str = "I worked on the storage engine and";
    const SECOND: &str = "then I led a small team of five.";
    const QUESTIONS: [&str; 2] = [
        "Tell me about your last project.",
        "What was the hardest part?",
    ];
    let stt = stt(&[FIRST, SECOND]);
    let tts = Arc::new(ScriptedTts::new(0));
    let mut rig = Rig::start(config(&stt, &tts, None, &QUESTIONS), None);
    rig.agent_final(0).await;
    let states_before = rig.peer.inspect(|s| s.states.len());
    // "... and" <1.5 s of silence> "then ...", as one stretch of microphone audio.
    let mut answer = speech(FIRST);
    let second_at = answer.len() + (1.5 * audio::RATE) as usize;
    answer.extend(audio::silence(1.5));
    answer.extend(speech(SECOND));
    let n = rig.mic.say(&answer);
    let thinking_at = rig
        .wait("thinking after the answer", |s| {
            s.states[states_before..]
                .contains(&AgentState::Thinking)
                .then(tokio::time::Instant::now)
        })
        .await;
    let (onset, end) = rig.mic.said(n).await;
    let next = rig.agent_final(1).await;
    let report = rig.stop().await;

    let second_starts = onset + Duration::from_secs_f64(second_at as f64 / audio::RATE);
    eprintln!(
        "the second half began at {:?}, ended at {:?}; the agent thought from {:?}",
        rig.at(second_starts),
        rig.at(end),
        rig.at(thinking_at)
    );
    assert!(
        thinking_at > second_starts,
        "the agent took its turn {:?} before the candidate went on",
        second_starts - thinking_at
    );
    assert!(thinking_at < end + Duration::from_secs(2), "slow to answer");
    assert_eq!(next, QUESTIONS[1]);
    let candidate: Vec<_> = rig
        .finals()
        .into_iter()
        .filter(|(id, _)| id.starts_with("SG_candidate"))
        .collect();
    assert_eq!(candidate.len(), 1, "{candidate:?}");
    let mut expected = words(FIRST);
    expected.extend(words(SECOND));
    assert_eq!(words(&candidate[0].1), expected);
    assert_eq!(texts(&report.history, Role::Candidate), [expected]);
}

#[tokio::test(start_paused = true)]
async fn an_stt_drop_mid_answer_loses_no_word() {
    const QUESTIONS: [&str; 2] = [
        "Welcome. Tell me about your current job.",
        "What would you change about it?",
    ];
    const ANSWERS: [&str; 2] = [
        "I maintain the billing service at a small bank.",
        "I would split the service into two parts.",
    ];
    let stt = ScriptedStt::new(SttScript {
        utterances: ANSWERS.iter().map(|a| (*a).to_owned()).collect(),
        drop_mid_speech: Some(1.0),
        ..SttScript::default()
    });
    let tts = Arc::new(ScriptedTts::new(0));
    let mut rig = Rig::start(config(&stt, &tts, None, &QUESTIONS), None);
    for (i, answer) in ANSWERS.iter().enumerate() {
        assert_eq!(rig.agent_final(i).await, QUESTIONS[i]);
        rig.say(&speech(answer)).await;
    }
    rig.agent_final(2).await;
    let report = rig.finished().await;

    let record = stt.record();
    eprintln!("{record:?}");
    assert_eq!(record.streams, 1, "the session kept its stream");
    assert_eq!(record.connections, 2, "the connection dropped once");
    // What no final covered yet (a second of the answer at least) was recognized again.
    assert!(record.replayed_samples >= 48_000, "{record:?}");
    assert_eq!(report.ending, Ending::Finished);
    assert_eq!(report.failure, None);
    assert_eq!(texts(&report.history, Role::Candidate), all_words(&ANSWERS));
}

#[tokio::test(start_paused = true)]
async fn an_stt_that_gives_up_ends_the_interview_with_an_explanation() {
    const QUESTIONS: [&str; 2] = ["Tell me about yourself.", "What do you do at work?"];
    let stt = ScriptedStt::new(SttScript {
        utterances: vec!["I am a developer from Lisbon.".into()],
        give_up_after: Some(4.0),
        ..SttScript::default()
    });
    let tts = Arc::new(ScriptedTts::new(0));
    let runner = VoiceRunner::new(config(&stt, &tts, None, &QUESTIONS), None, None);
    let mut rig = Rig::start_job(runner, Default::default());
    rig.agent_final(0).await;
    rig.mic.say(&speech("I am a developer from Lisbon."));
    let report = rig.finished().await;

    eprintln!("{:?} {:?}", report.ending, report.failure);
    assert_eq!(report.ending, Ending::ProviderFailed);
    let failure = report.failure.expect("why");
    assert!(
        failure.starts_with("speech recognition unavailable") && failure.contains("503"),
        "{failure}"
    );
    // The candidate heard why, in full, after the question.
    let finals = rig.finals();
    assert_eq!(
        finals.last(),
        Some(&("SG_agent_last".to_owned(), PROVIDER_DOWN.to_owned()))
    );
    assert_eq!(tts.texts().last().map(String::as_str), Some(PROVIDER_DOWN));
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
    // The room was told the interview is over, and nobody left: the agent waited its grace.
    assert_eq!(ends(&rig), vec![Outcome::Failed]);
}

/// The outcomes of the end messages the agent sent, to everyone in the room.
fn ends(rig: &Rig) -> Vec<Outcome> {
    rig.peer.inspect(|s| {
        s.data
            .iter()
            .filter(|(topic, ..)| topic == contract::topics::END)
            .map(|(_, payload, to)| {
                assert!(to.is_empty(), "sent to {to:?}, not the whole room");
                serde_json::from_slice::<EndMessage>(payload)
                    .expect("an end message")
                    .outcome
            })
            .collect()
    })
}

#[tokio::test(start_paused = true)]
async fn a_finished_interview_tells_the_room_after_its_last_words_and_waits_for_the_candidate() {
    for leaves in [true, false] {
        const QUESTIONS: [&str; 1] = ["Tell me about yourself."];
        let answer = "I am a developer from Lisbon.";
        let stt = stt(&[answer]);
        let tts = Arc::new(ScriptedTts::new(0));
        let runner = VoiceRunner::new(config(&stt, &tts, None, &QUESTIONS), None, None);
        let mut rig = Rig::start_job(runner, Default::default());
        rig.agent_final(0).await;
        rig.say(&speech(answer)).await;
        rig.agent_final(1).await;
        rig.wait("the end message", |s| {
            s.data
                .iter()
                .any(|(topic, ..)| topic == contract::topics::END)
                .then_some(())
        })
        .await;
        let told = tokio::time::Instant::now();
        let frames = rig.agent_frames();
        if leaves {
            // The candidate's client leaves on it.
            rig.peer.inject(RoomEvent::ParticipantLeft {
                identity: CANDIDATE.into(),
            });
        }
        let report = rig.finished().await;
        let waited = tokio::time::Instant::now() - told;

        assert_eq!(report.ending, Ending::Finished);
        assert_eq!(report.candidate.as_deref(), Some(CANDIDATE));
        assert_eq!(ends(&rig), vec![Outcome::Completed]);
        assert_eq!(rig.agent_frames(), frames, "audio after the end message");
        assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
        if leaves {
            assert_eq!(
                waited,
                Duration::ZERO,
                "the agent waited on after the candidate left"
            );
        } else {
            assert_eq!(
                waited, END_GRACE,
                "a client that stays is waited for at most the grace"
            );
        }
    }
}

const REPLIES: [&str; 4] = [
    "Welcome. Tell me about your current job.",
    "Interesting. What would you change about it?",
    "I see. Why that change first?",
    "Thank you, that is all for today.",
];

#[tokio::test(start_paused = true)]
async fn llm_500s_are_retried_then_apologized_for_and_the_interview_goes_on() {
    const ANSWERS: [&str; 4] = [
        "I maintain the billing service at a small bank.",
        "I would split the service into two parts.",
        "I would split the service into two parts.",
        "Because the parts change at different speeds.",
    ];
    let llm = Arc::new(ScriptedLlm::new([
        Call::Reply(REPLIES[0].into()),
        // The first answer: two 500s, then the reply.
        Call::Fail(500),
        Call::Fail(502),
        Call::Reply(REPLIES[1].into()),
        // The second: every attempt fails; the agent apologizes.
        Call::Fail(500),
        Call::Fail(500),
        Call::Fail(503),
        // The answer again: the reply.
        Call::Reply(REPLIES[2].into()),
        Call::Reply(REPLIES[3].into()),
    ]));
    let tts = Arc::new(ScriptedTts::new(0));
    let stt = stt(&ANSWERS);
    let mut c = config(&stt, &tts, Some(&llm), &[]);
    c.end_when_done = false;
    // Only the turns' own requests and their retries here: no speculative request first.
    c.engine.endpoint.speculate = false;
    let mut rig = Rig::start(c, None);
    assert_eq!(rig.agent_final(0).await, REPLIES[0]);
    rig.say(&speech(ANSWERS[0])).await;
    assert_eq!(rig.agent_final(1).await, REPLIES[1]);
    rig.say(&speech(ANSWERS[1])).await;
    assert_eq!(rig.agent_final(2).await, APOLOGY);
    rig.say(&speech(ANSWERS[2])).await;
    assert_eq!(rig.agent_final(3).await, REPLIES[2]);
    rig.say(&speech(ANSWERS[3])).await;
    assert_eq!(rig.agent_final(4).await, REPLIES[3]);
    let report = rig.stop().await;

    assert_eq!(llm.requests().len(), 9);
    let attempts: Vec<u32> = report.turns.iter().map(|t| t.llm_attempts).collect();
    assert_eq!(attempts, [1, 3, 3, 1, 1]);
    // Each failed attempt (its error after 180 ms) was retried after the engine's backoff:
    // 250 ms, then 500 ms.
    let at = llm.request_times();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    eprintln!("between requests {gaps:?}");
    let retry = [
        Duration::from_millis(180 + 250),
        Duration::from_millis(180 + 500),
    ];
    assert_eq!(gaps[1..3], retry);
    assert_eq!(gaps[4..6], retry);
    // The apology followed the third failure at once (its voice request is its first line).
    let apology_turn = &report.turns[2];
    assert!(apology_turn.llm_ttft.is_none(), "{apology_turn:?}");
    // No answer was lost; the one said before the apology is in the history too.
    assert_eq!(texts(&report.history, Role::Candidate), all_words(&ANSWERS));
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()));
}

#[tokio::test(start_paused = true)]
async fn a_voice_that_hangs_is_asked_again_then_apologized_for() {
    const QUESTIONS: [&str; 2] = [
        "Hello. Please tell me your name.",
        "Which language do you like most?",
    ];
    // The first two requests hang: the greeting is asked for again after the first-byte
    // timeout and then given up, with the apology (the third request) instead.
    let tts = Arc::new(ScriptedTts::new(2));
    let stt = stt(&["My name is Alex Morgan.", "I like Rust the most."]);
    let mut c = config(&stt, &tts, None, &QUESTIONS);
    c.end_when_done = false;
    let timeout = c.engine.tts.first_byte_timeout;
    let mut rig = Rig::start(c, None);
    let first = rig.agent_final(0).await;
    let first_audio = rig.peer.inspect(|s| s.played_at[0]) - rig.started;
    rig.say(&speech("My name is Alex Morgan.")).await;
    let next = rig.agent_final(1).await;
    let report = rig.stop().await;

    let texts = tts.texts();
    eprintln!("first audio at {first_audio:?}; voice requests {texts:?}");
    assert_eq!(first, APOLOGY);
    // The first sentence was asked for twice, each time for a first-byte timeout, then the
    // reply was given up for the apology.
    assert_eq!(texts[..2], ["Hello.", "Hello."]);
    assert_eq!(texts[2..4].join(" "), APOLOGY);
    assert!(first_audio >= timeout * 2, "{first_audio:?}");
    assert!(
        first_audio < timeout * 2 + Duration::from_millis(300),
        "{first_audio:?}"
    );
    // The scripted responder goes on with the next question: the one the candidate never
    // heard is not asked again.
    assert_eq!(next, QUESTIONS[1]);
    // Only what was voiced was played: nothing of the hung requests.
    assert_heard(&rig.agent_audio(), &voiced(&texts[2..]));
    assert_eq!(report.history[0].text, APOLOGY);
}

#[tokio::test(start_paused = true)]
async fn a_voice_that_hangs_once_is_asked_again() {
    const QUESTION: &str = "Hello. Please tell me your name.";
    let tts = Arc::new(ScriptedTts::new(1));
    let stt = stt(&[]);
    let mut c = config(&stt, &tts, None, &[QUESTION]);
    c.end_when_done = false;
    let timeout = c.engine.tts.first_byte_timeout;
    let mut rig = Rig::start(c, None);
    assert_eq!(rig.agent_final(0).await, QUESTION);
    let first_audio = rig.peer.inspect(|s| s.played_at[0]) - rig.started;
    let report = rig.stop().await;

    // The hung first sentence was asked for again after the first-byte timeout.
    assert_eq!(
        tts.texts(),
        ["Hello.", "Hello.", "Please tell me your name."]
    );
    assert!(first_audio >= timeout, "{first_audio:?}");
    assert!(
        first_audio < timeout + Duration::from_millis(300),
        "{first_audio:?}"
    );
    assert_heard(&rig.agent_audio(), &voiced(&tts.texts()[1..]));
    assert!(!report.history[0].interrupted);
}

#[tokio::test(start_paused = true)]
async fn a_drained_job_says_goodbye_and_ends() {
    let stt = stt(&["My name is Alex Morgan."]);
    let tts = Arc::new(ScriptedTts::new(0));
    let runner = VoiceRunner::new(config(&stt, &tts, None, &QUESTIONS), None, None);
    let mut rig = Rig::start_job(runner, Default::default());
    rig.agent_final(0).await;
    rig.say(&speech(ANSWERS[0])).await;
    // Half a second into the second question the worker's drain deadline passes.
    rig.agent_words(1, 1).await;
    let frames_before = rig.agent_frames();
    let _ = rig.cancel.send(true);
    let cancelled = tokio::time::Instant::now();
    let report = rig.finished().await;

    assert_eq!(report.ending, Ending::Cancelled);
    assert_eq!(tts.texts().last().map(String::as_str), Some(GOODBYE));
    let finals = rig.finals();
    assert_eq!(
        finals.last(),
        Some(&("SG_agent_last".to_owned(), GOODBYE.to_owned()))
    );
    // The question stops where it was; the goodbye is played in full after it.
    let audio = rig.agent_audio();
    let goodbye = voiced(&[GOODBYE.to_owned()]);
    assert!(
        audio.ends_with(&goodbye),
        "the goodbye was not played in full"
    );
    let question_frames = (audio.len() - goodbye.len()) / agent::transport::FRAME_SAMPLES;
    assert_eq!(question_frames, frames_before, "frames before the goodbye");
    let last = rig.peer.inspect(|s| *s.played_at.last().expect("audio"));
    let took = last - cancelled;
    let length = Duration::from_secs_f64(goodbye.len() as f64 / audio::RATE);
    eprintln!("goodbye of {length:?} done {took:?} after the cancel");
    assert!(
        took >= length && took < length + Duration::from_millis(500),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_redispatched_interview_resumes_where_the_dead_worker_left_it() {
    const QUESTIONS: [&str; 3] = [
        "Hello. Please tell me your name.",
        "Which language do you like most?",
        "What did you build last year?",
    ];
    const ANSWERS: [&str; 3] = [
        "My name is Alex Morgan.",
        "I like Rust the most.",
        "I built a message queue.",
    ];
    // The first worker: one answer, then it dies while asking the second question.
    let stt1 = stt(&ANSWERS[..1]);
    let tts = Arc::new(ScriptedTts::new(0));
    let mut first = Rig::start(config(&stt1, &tts, None, &QUESTIONS), None);
    first.agent_final(0).await;
    first.say(&speech(ANSWERS[0])).await;
    first.agent_words(1, 2).await;
    first.kill();
    // What the transcript writer had sent control-api, as its state returns it.
    let transcript: Vec<(Speaker, String)> = first
        .messages()
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::Agent => Speaker::Interviewer,
                Role::Candidate => Speaker::Candidate,
            };
            (role, m.text.clone())
        })
        .collect();
    assert_eq!(transcript.len(), 2, "{transcript:?}");

    // The re-dispatched job continues from it in a new room.
    let stt2 = stt(&ANSWERS[1..]);
    let mut c = config(&stt2, &tts, None, &QUESTIONS);
    resume(&mut c, &transcript);
    let mut second = Rig::start(c, None);
    let back = second.agent_final(0).await;
    assert_eq!(back, format!("{RESUMED} {}", QUESTIONS[1]));
    second.say(&speech(ANSWERS[1])).await;
    assert_eq!(second.agent_final(1).await, QUESTIONS[2]);
    second.say(&speech(ANSWERS[2])).await;
    second.agent_final(2).await;
    let report = second.finished().await;

    assert_eq!(report.ending, Ending::Finished);
    // Across both workers every question was asked and answered once.
    let mut all = first.messages();
    all.extend(report.history.iter().cloned());
    let asked: Vec<String> = all
        .iter()
        .filter(|m| m.role == Role::Agent)
        .map(|m| m.text.replace(RESUMED, "").trim().to_owned())
        .collect();
    assert_eq!(asked[..3], QUESTIONS.map(String::from));
    assert_eq!(texts(&all, Role::Candidate), all_words(&ANSWERS));
}

#[tokio::test(start_paused = true)]
async fn a_resumed_llm_interview_tells_the_model_what_was_said() {
    let transcript = [
        (Speaker::Interviewer, REPLIES[0]),
        (
            Speaker::Candidate,
            "I maintain the billing service at a small bank.",
        ),
    ]
    .map(|(r, t)| (r, t.to_owned()));
    let llm = Arc::new(ScriptedLlm::new([Call::Reply(format!(
        "{RESUMED} {}",
        REPLIES[1]
    ))]));
    let tts = Arc::new(ScriptedTts::new(0));
    let stt = stt(&[]);
    let mut c = config(&stt, &tts, Some(&llm), &[]);
    c.end_when_done = false;
    resume(&mut c, &transcript);
    let mut rig = Rig::start(c, None);
    let back = rig.agent_final(0).await;
    rig.stop().await;

    assert_eq!(back, format!("{RESUMED} {}", REPLIES[1]));
    let prompt = &llm.requests()[0][0].content;
    assert!(prompt.starts_with("You are an interviewer."), "{prompt}");
    assert!(
        prompt.contains(&format!(
            "interviewer: {}\ncandidate: {}",
            transcript[0].1, transcript[1].1
        )),
        "{prompt}"
    );
    assert!(prompt.contains(RESUMED), "{prompt}");
}

/// Everything observable of a session, times included.
fn fingerprint(rig: &Rig, report: &SessionReport) -> String {
    let room = rig.peer.inspect(|s| {
        let played: Vec<Duration> = s.played_at.iter().map(|t| *t - rig.started).collect();
        format!(
            "{played:?}\n{}\n{:?}\n{:?}\n{:?}",
            s.flushed, s.data, s.transcriptions, s.states
        )
    });
    format!(
        "{room}\n{:016x}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        hash(&rig.agent_audio()),
        report.history,
        report.turns,
        report.traces,
        report.flushes,
        report.ducks,
        report.nudges,
        report.delivery,
        (report.frames, report.ending),
    )
}

fn hash(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    // Fixed keys: the same value hashes the same in every process.
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[tokio::test(start_paused = true)]
async fn the_same_script_plays_out_the_same_every_time() {
    let (rig, report, ..) = barge_in().await;
    let once = fingerprint(&rig, &report);
    drop(rig);
    let (rig, report, ..) = barge_in().await;
    assert_eq!(once, fingerprint(&rig, &report), "barge-in");
    // Printed to compare runs across processes too.
    eprintln!("barge-in fingerprint {:016x}", hash(&once));
    let (rig, report, _) = five_turns().await;
    let once = fingerprint(&rig, &report);
    drop(rig);
    let (rig, report, _) = five_turns().await;
    assert_eq!(once, fingerprint(&rig, &report), "five turns");
    eprintln!("five-turn fingerprint {:016x}", hash(&once));
}

#[tokio::test(start_paused = true)]
async fn a_complete_answer_is_worded_before_the_turn_ends_and_an_unfinished_one_is_never_heard() {
    const GREETING: &str = "Hello. Tell me about a system you built.";
    const FIRST: &str = "I built a ledger in Rust.";
    const MORE: &str = "It kept every correction as a new entry.";
    const WRONG: &str = "This reply answered only the first sentence.";
    const REPLY: &str = "Why did corrections matter so much?";
    const LAST: &str = "Thank you, that is all for today.";
    let llm = Arc::new(ScriptedLlm::new([
        Call::Reply(GREETING.into()),
        // Speculated on the first sentence, then cancelled: the candidate went on.
        Call::Reply(WRONG.into()),
        Call::Reply(REPLY.into()),
        Call::Reply(LAST.into()),
    ]));
    let tts = Arc::new(ScriptedTts::new(0));
    // A recognizer that settles a final 200 ms after the words (Deepgram's endpointing plus
    // its latency).
    let stt = ScriptedStt::new(SttScript {
        utterances: [FIRST, MORE, "Audits needed the whole history."]
            .map(str::to_owned)
            .to_vec(),
        endpointing: 0.2,
        ..SttScript::default()
    });
    let mut c = config(&stt, &tts, Some(&llm), &[]);
    c.end_when_done = false;
    // A patient end of turn (1.2 s after a complete sentence), so a pause of 0.7 s is long
    // enough for the first sentence's final and its speculation, not for the end of turn.
    c.engine.endpoint.min_delay = Duration::from_millis(1200);
    c.engine.endpoint.complete_quiet = Duration::from_millis(1200);
    let mut rig = Rig::start(c, None);
    assert_eq!(rig.agent_final(0).await, GREETING);
    let mut answer = speech(FIRST);
    answer.extend(audio::silence(0.7));
    answer.extend(speech(MORE));
    rig.say(&answer).await;
    assert_eq!(rig.agent_final(1).await, REPLY);
    rig.say(&speech("Audits needed the whole history.")).await;
    assert_eq!(rig.agent_final(2).await, LAST);
    let report = rig.stop().await;

    let requests = llm.requests();
    let times = llm.request_times();
    assert_eq!(requests.len(), 4, "greeting, wasted, reply, last");
    let said = |r: &Vec<providers::llm::ChatMessage>| r.last().map(|m| m.content.clone());
    assert_eq!(said(&requests[1]).as_deref(), Some(FIRST));
    assert_eq!(
        said(&requests[2]).map(|t| words(&t)),
        Some(words(&format!("{FIRST} {MORE}")))
    );
    // The cancelled reply's one sentence was synthesized ahead (its speculation had worded
    // it) at most once, and never reached the room: the room heard exactly the others.
    let texts = tts.texts();
    let (wasted, played): (Vec<String>, Vec<String>) = texts
        .into_iter()
        .partition(|t| t.contains("first sentence"));
    assert!(wasted.len() <= 1, "{wasted:?}");
    assert_eq!(
        played.iter().filter(|t| *t == REPLY).count(),
        1,
        "{played:?}"
    );
    assert_heard(&rig.agent_audio(), &voiced(&played));
    let (reply, last) = (&report.turns[1], &report.turns[2]);
    assert!(
        reply.speculative && reply.wasted_generations == 1,
        "{reply:?}"
    );
    assert!(last.speculative && last.wasted_generations == 0, "{last:?}");
    // Its first sentence was synthesized while the turn was ending: the commit's request to
    // speak found the audio ready instead of waiting the voice's 90 ms to first byte.
    assert!(
        last.tts_ttfb.is_some_and(|d| d < tts.first_byte),
        "{last:?}"
    );
    // Both replies were requested before their turn committed.
    for (turn, request) in report.traces.iter().zip([times[2], times[3]]) {
        let asked = request - rig.started;
        assert!(
            asked < turn.committed,
            "asked at {asked:?}, committed at {:?}",
            turn.committed
        );
    }
}
