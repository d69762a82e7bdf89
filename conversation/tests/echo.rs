//! The envelope echo test on synthetic envelopes.

use conversation::{EchoConfig, EchoGuard, Instant};

fn env(i: u64) -> f32 {
    0.03 + 0.06 * (((i * 7919) % 17) as f32 / 17.0)
}

fn run(delay_frames: u64, gain: f32, own: f32) -> bool {
    let mut g = EchoGuard::new(EchoConfig::default());
    for i in 0..100u64 {
        let at = Instant::from_millis(i * 20);
        g.push_outbound(at, env(i));
        let echo = if i >= delay_frames {
            gain * env(i - delay_frames)
        } else {
            0.0
        };
        let voice = if own > 0.0 {
            own * (1.0 + ((i * 104_729) % 13) as f32 / 13.0)
        } else {
            0.0
        };
        g.push_inbound(at, echo + voice);
    }
    g.is_echo(Instant::from_millis(60 * 20), Instant::from_millis(99 * 20))
}

#[test]
fn delayed_attenuated_copy_is_echo() {
    for delay in [0, 5, 10, 24] {
        assert!(run(delay, 0.1, 0.0), "delay {delay} frames");
    }
}

#[test]
fn candidate_voice_is_not_echo_even_over_echo() {
    assert!(!run(10, 0.0, 0.05));
    assert!(!run(10, 0.1, 0.05));
    assert!(!run(10, 0.9, 0.0), "too loud to be echo");
}

#[test]
fn echo_words_match_the_agents_words() {
    let g = EchoGuard::new(EchoConfig::default());
    assert!(g.words_are_echo(
        "Let me explain how our team works.",
        "explain how our team works"
    ));
    assert!(!g.words_are_echo(
        "Let me explain how our team works.",
        "wait I have a question"
    ));
}
