//! TTS pacing (little synthesized ahead) and transcript segments (ids, interim before final).

mod common;

use std::time::Duration;

use common::{Sim, reply};
use conversation::{AgentState, Config, Mode, Output, Side, TranscriptSegment};

const LONG: &str = "First, we will talk about your background and your last role. \
Then we will go through a system design exercise together on the whiteboard. \
After that, I will ask a few questions about debugging production incidents. \
We will also cover how you work with product managers and designers. \
Finally, you will have time to ask me anything about the team and the company. \
The whole interview should take about forty five minutes in total.";

#[test]
fn text_is_paced_so_at_most_max_ahead_is_synthesized_ahead() {
    let cfg = Config::default();
    let mut sim = Sim::new(cfg.clone(), Mode::Llm);
    sim.llm_script.push_back(reply(LONG));
    sim.start();
    sim.run_until_state(AgentState::Listening, 60.0)
        .expect("reply ends");
    let speaks = sim.outputs_where(|o| matches!(o, Output::Speak { .. }));
    assert_eq!(speaks.len(), 6, "one chunk per sentence");
    let mut synthesized = Duration::ZERO;
    let mut longest = Duration::ZERO;
    for (at, o) in &speaks {
        let Output::Speak { text, .. } = o else {
            unreachable!()
        };
        let d = Duration::from_secs_f64(0.1 + 0.25 * text.split_whitespace().count() as f64);
        longest = longest.max(d);
        let played = common::FRAME * sim.agent_frames.iter().filter(|f| *f < at).count() as u32;
        let ahead = synthesized.saturating_sub(played);
        assert!(
            ahead <= cfg.tts.max_ahead,
            "{ahead:?} ahead when speaking {text:?}"
        );
        synthesized += d;
    }
    let total_audio = synthesized.as_secs_f64();
    assert!(
        total_audio > 2.0 * cfg.tts.max_ahead.as_secs_f64(),
        "the test needs a long reply"
    );
    let late = speaks
        .iter()
        .filter(|(at, _)| *at > speaks[0].0 + Duration::from_secs(3))
        .count();
    assert!(late >= 2, "all text was sent to the TTS up front");
    assert_eq!(sim.engine.history().messages()[0].text, LONG);
}

#[test]
fn transcripts_have_one_segment_per_turn_interims_then_one_final() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.llm_script
        .push_back(reply("Hello. Tell me about yourself."));
    sim.start();
    for i in 0..2 {
        let l = sim
            .run_until_state(AgentState::Listening, 60.0)
            .expect("agent done");
        let at = l.since_start().as_secs_f64() + 0.5;
        sim.say(at, 1.2, &format!("This is answer number {i}."));
        sim.run_until_state(AgentState::Speaking, at + 10.0)
            .expect("agent answers");
    }
    sim.run_until_state(AgentState::Listening, 60.0)
        .expect("agent done");
    for side in [Side::Agent, Side::Candidate] {
        let segs: Vec<TranscriptSegment> = sim
            .outputs
            .iter()
            .filter_map(|(_, o)| match o {
                Output::Transcript(s) if s.id.side == side => Some(s.clone()),
                _ => None,
            })
            .collect();
        let mut expected = 0;
        for (i, s) in segs.iter().enumerate() {
            assert_eq!(s.id.index, expected, "{side:?} segment order");
            if s.is_final {
                expected += 1;
            } else {
                let fin = segs[i..]
                    .iter()
                    .find(|f| f.is_final)
                    .expect("a final follows every interim");
                assert!(
                    fin.text
                        .starts_with(s.text.split_whitespace().next().unwrap_or("")),
                    "{s:?} vs {fin:?}"
                );
            }
        }
        let finals = segs.iter().filter(|s| s.is_final).count();
        assert_eq!(finals, if side == Side::Agent { 3 } else { 2 });
        assert!(segs.len() > finals, "{side:?} interims are published");
    }
}
