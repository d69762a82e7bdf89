//! The timeline in fake time (time passed in, the driver's order of events replayed), and
//! the tokio driver over a channel.

use std::time::Duration;

use dsp::vad::{TwoStageVad, VadConfig, VadEvent};
use rtc::rtp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::super::RoomEvent;
use super::super::codec::OpusEncoder;
use super::*;

const FRAME: Duration = Duration::from_millis(20);
const FRAME_TS: u32 = FRAME_SAMPLES as u32;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A vowel-like sound the WebRTC gate calls voiced: a 140 Hz buzz through two formants.
fn voice(frame: usize) -> Vec<i16> {
    (0..FRAME_SAMPLES)
        .map(|s| {
            let t = (frame * FRAME_SAMPLES + s) as f64 / f64::from(SAMPLE_RATE);
            let v: f64 = (1..=25)
                .map(|h| {
                    let f = 140.0 * f64::from(h);
                    let formants = 1.0 / (1.0 + ((f - 700.0) / 150.0).powi(2))
                        + 0.6 / (1.0 + ((f - 1200.0) / 200.0).powi(2))
                        + 0.05;
                    formants * (t * f * std::f64::consts::TAU).sin()
                })
                .sum();
            (v * 5000.0).clamp(-30_000.0, 30_000.0) as i16
        })
        .collect()
}

/// Opus packets of a stream: `true` frames carry the voice, `false` frames silence.
fn encode(voiced: &[bool]) -> Vec<Vec<u8>> {
    let mut enc = OpusEncoder::new().expect("encoder");
    voiced
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let pcm = if v { voice(i) } else { vec![0; FRAME_SAMPLES] };
            enc.encode(&pcm).expect("encode").to_vec()
        })
        .collect()
}

fn rms(pcm: &[i16]) -> f64 {
    (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
}

/// A frame the timeline emitted.
#[derive(Debug, Clone)]
struct Out {
    /// When, after the first packet.
    at: Duration,
    media_time: Duration,
    rms: f64,
    pcm: Vec<i16>,
}

/// Replays what the driver does: the clock's deadlines in order, a packet before a deadline
/// of the same instant (the driver's `select!` is biased to packets).
struct Sim {
    timeline: Timeline,
    t0: Instant,
    /// Without the clock the timeline fills gaps only when a packet arrives (the behaviour
    /// before issue 16).
    clock: bool,
    out: Vec<Out>,
}

impl Sim {
    fn new(clock: bool) -> Self {
        Self {
            timeline: Timeline::new().expect("timeline"),
            t0: Instant::now(),
            clock,
            out: Vec::new(),
        }
    }

    /// Runs the clock to `at` after the start.
    fn run_until(&mut self, at: Duration) {
        let until = self.t0 + at;
        while self.clock {
            let Some(due) = self.timeline.poll_timeout().filter(|&due| due < until) else {
                break;
            };
            let (t0, out) = (self.t0, &mut self.out);
            self.timeline.handle_timeout(due, |media_time, pcm| {
                record(out, due - t0, media_time, pcm)
            });
        }
    }

    /// Packet `seq` with timestamp `ts` arrives `at` after the start.
    fn packet(&mut self, at: Duration, seq: u16, ts: u32, payload: &[u8]) {
        self.run_until(at);
        let now = self.t0 + at;
        let out = &mut self.out;
        self.timeline
            .push(now, seq, ts, payload, |media_time, pcm| {
                record(out, at, media_time, pcm)
            });
    }

    /// Checks the invariant: frames at 0, 20, 40 ms… of media time, emitted in time order.
    fn assert_continuous(&self) {
        for (i, f) in self.out.iter().enumerate() {
            assert_eq!(f.media_time, FRAME * i as u32, "frame {i}: {f:?}");
            assert_eq!(f.pcm.len(), FRAME_SAMPLES);
        }
        assert!(self.out.windows(2).all(|w| w[0].at <= w[1].at));
    }

    /// Frames emitted in the window `[from, to)` after the start.
    fn emitted_between(&self, from: Duration, to: Duration) -> Vec<&Out> {
        self.out
            .iter()
            .filter(|f| f.at >= from && f.at < to)
            .collect()
    }
}

fn record(out: &mut Vec<Out>, at: Duration, media_time: Duration, pcm: &[i16]) {
    out.push(Out {
        at,
        media_time,
        rms: rms(pcm),
        pcm: pcm.to_vec(),
    });
}

/// Speech for `speech` frames, then `quiet` frames of the encoder's quiet tail, then DTX:
/// one packet every 400 ms, until speech starts again at frame `resume` for ten frames.
/// Returns the schedule as (arrival, seq, ts, packet) with every packet on time.
fn dtx_stream(speech: usize, quiet: usize, resume: usize) -> Vec<(Duration, u16, u32, Vec<u8>)> {
    let quiet_until = speech + quiet;
    let mut frames: Vec<usize> = (0..quiet_until).collect();
    frames.extend((quiet_until - 1 + 20..resume).step_by(20));
    frames.extend(resume..resume + 10);
    let voiced: Vec<bool> = (0..resume + 10)
        .map(|i| i < speech || i >= resume)
        .collect();
    let packets = encode(&voiced);
    frames
        .iter()
        .enumerate()
        .map(|(seq, &f)| {
            (
                FRAME * f as u32,
                seq as u16,
                1_000 + f as u32 * FRAME_TS,
                packets[f].clone(),
            )
        })
        .collect()
}

#[test]
fn a_dtx_gap_is_filled_on_the_clock_at_the_frame_cadence() {
    let mut sim = Sim::new(true);
    let stream = dtx_stream(20, 5, 70);
    for (at, seq, ts, p) in &stream {
        sim.packet(*at, *seq, *ts, p);
    }
    sim.assert_continuous();
    // The last packet before DTX carries frame 24 and arrives at 480 ms; DTX sends frame 44
    // at 880 ms. Frame 25 (500 ms) is due with the next packet at 500 ms: the clock fills
    // it a jitter allowance later, and one frame every 20 ms after that.
    let last = ms(480);
    let filled = sim.emitted_between(last + ms(1), ms(880));
    let first = filled.first().expect("silence before the next DTX packet");
    assert_eq!(first.media_time, ms(500));
    assert!(
        first.at <= last + FRAME + JITTER_ALLOWANCE + TIMER_TICK,
        "{first:?}"
    );
    for w in filled.windows(2) {
        assert_eq!(w[1].at - w[0].at, FRAME, "cadence: {w:?}");
    }
    assert_eq!(filled.len(), 16, "{filled:?}");
    assert!(filled.iter().all(|f| f.rms == 0.0));
    assert_eq!(sim.timeline.stats.concealed, 0);
    eprintln!(
        "DTX: first silence {} ms after the last packet (was 400 ms); {} of the gap's 19 \
         frames out before the next packet",
        (first.at - last).as_millis(),
        filled.len()
    );
}

#[test]
fn packets_resuming_after_a_gap_add_no_duplicate_time() {
    let mut sim = Sim::new(true);
    let stream = dtx_stream(20, 5, 70);
    for (at, seq, ts, p) in &stream {
        sim.packet(*at, *seq, *ts, p);
    }
    sim.assert_continuous();
    // The last packet (frame 79) arrives at 1580 ms: the timeline holds exactly 1600 ms.
    let (end, ..) = stream.last().expect("packets");
    assert_eq!(*end, ms(1580));
    assert_eq!(sim.out.len(), 80);
    assert_eq!(sim.timeline.frames.head(), 1600 * 48);
    let s = sim.timeline.stats;
    assert_eq!((s.overtaken, s.resyncs, s.late), (0, 0, 0), "{s:?}");
    // The resumed speech plays from its own time on: frames 70.. are loud.
    assert!(sim.out[70..].iter().all(|f| f.rms > 1000.0));
    assert!(sim.out[26..69].iter().all(|f| f.rms < 50.0));
}

/// Arrival jitter of packet `i`: a fixed pseudo-random draw from [-30, 30] ms, with both
/// ends hit back to back.
fn jitter_ms(i: u32) -> i64 {
    match i {
        10 => -30,
        11 => 30,
        _ => i64::from((i.wrapping_mul(2_654_435_761) >> 7) % 61) - 30,
    }
}

#[test]
fn jitter_within_the_allowance_inserts_no_silence() {
    let n = 500;
    let packets = encode(&vec![true; n]);
    let mut sim = Sim::new(true);
    // The first packet comes late so the expectation settles from above; queueing keeps the
    // order, so no packet overtakes another.
    let mut arrival = Duration::ZERO;
    for (i, p) in packets.iter().enumerate() {
        let nominal = 30 + 20 * i as i64 + jitter_ms(i as u32);
        arrival = arrival.max(ms(nominal as u64));
        sim.packet(arrival, i as u16, i as u32 * FRAME_TS, p);
    }
    sim.assert_continuous();
    let s = sim.timeline.stats;
    assert_eq!(sim.out.len(), n);
    assert_eq!(
        (s.clock_samples, s.silence_samples, s.concealed, s.overtaken),
        (0, 0, 0, 0),
        "{s:?}"
    );
}

#[test]
fn a_loss_mid_speech_is_concealed_on_the_clock() {
    let packets = encode(&[true; 50]);
    let mut sim = Sim::new(true);
    for (i, p) in packets.iter().enumerate() {
        if (20..25).contains(&i) {
            continue; // lost
        }
        sim.packet(FRAME * i as u32, i as u16, i as u32 * FRAME_TS, p);
    }
    sim.assert_continuous();
    assert_eq!(sim.out.len(), 50);
    // Packet 19 arrives at 380 ms; packet 25 at 500 ms. The clock conceals frames 20 and 21
    // before it comes; the packet's arrival fills the rest: one more concealed, then silence.
    let filled = sim.emitted_between(ms(381), ms(500));
    let times: Vec<_> = filled.iter().map(|f| (f.at, f.media_time)).collect();
    assert_eq!(times, [(ms(461), ms(400)), (ms(481), ms(420))]);
    assert!(
        filled.iter().all(|f| f.rms > 300.0),
        "concealment continues the voice: {filled:?}"
    );
    let s = sim.timeline.stats;
    assert_eq!(s.concealed, 3, "{s:?}");
    assert_eq!(s.silence_samples, 2 * FRAME_SAMPLES as u64, "{s:?}");
    assert_eq!(s.clock_samples, 2 * FRAME_SAMPLES as u64, "{s:?}");
}

#[test]
fn a_burst_after_a_delay_spike_plays_only_the_time_not_yet_filled() {
    let packets = encode(&[true; 60]);
    let mut sim = Sim::new(true);
    for (i, p) in packets.iter().enumerate() {
        // Packets 30..37 are held up and arrive together at 750 ms; queueing keeps the
        // order, so packet 37 (due at 740 ms) comes right behind them.
        let at = match i {
            0..30 => FRAME * i as u32,
            _ => (FRAME * i as u32).max(ms(750)),
        };
        sim.packet(at, i as u16, i as u32 * FRAME_TS, p);
    }
    sim.assert_continuous();
    assert_eq!(sim.out.len(), 60, "no time emitted twice");
    let s = sim.timeline.stats;
    // The clock filled 600..700 ms (from 661 ms on); packets 30..34 carried that time and
    // are dropped, 35 and 36 play at once, and the clock's expectation recovers: nothing
    // else is filled.
    assert_eq!(s.overtaken, 5, "{s:?}");
    assert_eq!(s.clock_samples, 5 * FRAME_SAMPLES as u64, "{s:?}");
    let clock = sim.timeline.clock.expect("clock");
    assert!(clock.base_us <= 1_000, "{clock:?}");
}

#[test]
fn a_lasting_delay_increase_costs_one_fill_not_every_packet() {
    let packets = encode(&[true; 100]);
    let mut sim = Sim::new(true);
    for (i, p) in packets.iter().enumerate() {
        let delay = if i >= 30 { ms(150) } else { Duration::ZERO };
        sim.packet(FRAME * i as u32 + delay, i as u16, i as u32 * FRAME_TS, p);
    }
    sim.assert_continuous();
    assert_eq!(sim.out.len(), 100);
    let s = sim.timeline.stats;
    assert_eq!(s.overtaken, 5, "{s:?}");
    assert_eq!(s.clock_samples, 5 * FRAME_SAMPLES as u64, "{s:?}");
    // From packet 35 on every packet plays in full.
    assert!(sim.out[35..].iter().all(|f| f.rms > 1000.0));
}

#[test]
fn a_timestamp_jump_starts_a_new_timeline_at_the_head() {
    let packets = encode(&[true; 40]);
    let mut sim = Sim::new(true);
    for (i, p) in packets.iter().enumerate() {
        let ts = match i {
            0..10 => i as u32 * FRAME_TS,
            // Five seconds back, then thirty forward: neither is a gap or a late packet.
            10..20 => (i as u32 * FRAME_TS).wrapping_sub(5 * SAMPLE_RATE),
            _ => i as u32 * FRAME_TS + 30 * SAMPLE_RATE,
        };
        sim.packet(FRAME * i as u32, i as u16, ts, p);
    }
    sim.assert_continuous();
    assert_eq!(sim.out.len(), 40);
    let s = sim.timeline.stats;
    assert_eq!(
        (s.resyncs, s.silence_samples, s.overtaken),
        (2, 0, 0),
        "{s:?}"
    );
}

#[test]
fn gaps_found_by_arriving_packets_keep_the_timeline_continuous() {
    let p = encode(&[true; 10]);
    let mut sim = Sim::new(false);
    let base = u32::MAX - 960; // wraps around
    let at = |frame: u32| FRAME * frame;
    sim.packet(at(0), 65535, base, &p[0]);
    sim.packet(at(1), 0, base.wrapping_add(960), &p[1]);
    sim.packet(at(1), 0, base.wrapping_add(960), &p[1]); // duplicate: ignored
    sim.packet(at(3), 2, base.wrapping_add(3 * 960), &p[2]); // one packet lost: concealed
    sim.packet(at(20), 3, base.wrapping_add(20 * 960), &p[3]); // DTX: silence fills 16 frames
    sim.assert_continuous();
    assert_eq!(sim.out.len(), 21);
    let s = sim.timeline.stats;
    assert_eq!((s.late, s.concealed), (1, 1), "{s:?}");
    assert_eq!(s.silence_samples, 16 * FRAME_SAMPLES as u64);
}

/// When the VAD (gate only, default thresholds) sees the end of speech, with the clock and
/// without it, for DTX starting 1 to 20 frames after the speech (every phase of its cycle).
#[test]
fn the_vad_hears_the_end_of_speech_sooner() {
    let mut gains = Vec::new();
    for quiet in 1..=20 {
        let end = |clock: bool| {
            let mut sim = Sim::new(clock);
            for (at, seq, ts, p) in dtx_stream(25, quiet, 200) {
                sim.packet(at, seq, ts, &p);
            }
            vad_end(&sim.out).expect("speech ends")
        };
        let (with, without) = (end(true), end(false));
        assert!(with <= without, "quiet {quiet}: {with:?} vs {without:?}");
        gains.push((without - with).as_millis());
    }
    let mean = gains.iter().sum::<u128>() / gains.len() as u128;
    assert!(mean >= 100, "{gains:?}");
    let min = gains.iter().min().copied().unwrap_or_default();
    let max = gains.iter().max().copied().unwrap_or_default();
    eprintln!(
        "the VAD hears the end of speech sooner by {min}..{max} ms (mean {mean} ms): {gains:?}"
    );
}

/// When (after the start) the frame that made the VAD end speech was emitted.
fn vad_end(out: &[Out]) -> Option<Duration> {
    let mut vad = TwoStageVad::new(&VadConfig::default(), None).expect("vad");
    let mut frame = [0f32; 320];
    for f in out {
        for (i, s) in frame.iter_mut().enumerate() {
            let sum: i32 = f.pcm[3 * i..3 * i + 3].iter().map(|&x| i32::from(x)).sum();
            *s = sum as f32 / 3.0 / 32_768.0;
        }
        let v = vad.push_frame(&frame).expect("vad frame");
        if let Some(VadEvent::SpeechEnd { .. }) = v.event {
            return Some(f.at);
        }
    }
    None
}

fn rtp_packet(seq: u16, ts: u32, payload: &[u8]) -> rtp::Packet {
    let mut packet = rtp::Packet::default();
    packet.header.sequence_number = seq;
    packet.header.timestamp = ts;
    packet.payload = payload.to_vec().into();
    packet
}

/// The driver in real time: silence comes while no packet does, and the resumed packet
/// continues the timeline. Only the order of events is checked, never a latency.
#[tokio::test]
async fn the_track_reader_fills_time_while_no_packet_comes() {
    let packets = encode(&[true; 6]);
    let (tx, rx) = mpsc::channel(16);
    let (events, mut heard) = mpsc::channel(256);
    let reader = tokio::spawn(read_track(rx, "candidate".into(), "TR_a".into(), events));
    let mut frames = Vec::new();
    let mut next = async || match tokio::time::timeout(Duration::from_secs(10), heard.recv()).await
    {
        Ok(Some(RoomEvent::Audio(frame))) => Some(frame),
        Ok(_) => None,
        Err(_) => panic!("no frame within 10 s"),
    };
    for (i, p) in packets[..5].iter().enumerate() {
        tx.send(rtp_packet(i as u16, i as u32 * FRAME_TS, p))
            .await
            .expect("send");
        tokio::time::sleep(FRAME).await;
    }
    // No packet now: only the clock can bring frames beyond the five sent.
    while frames.len() < 10 {
        frames.push(next().await.expect("a frame"));
    }
    // Resume two frames past what was heard; whatever the clock filled meanwhile, the
    // timeline stays continuous.
    let resume = frames.len() as u32 + 2;
    tx.send(rtp_packet(5, resume * FRAME_TS, &packets[5]))
        .await
        .expect("send");
    drop(tx);
    while let Some(frame) = next().await {
        frames.push(frame);
    }
    reader.await.expect("reader");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.media_time, FRAME * i as u32, "frame {i}");
        assert_eq!(&*f.identity, "candidate");
    }
    assert!(
        frames
            .windows(2)
            .all(|w| w[0].received_at <= w[1].received_at)
    );
    assert!(frames.len() > resume as usize);
}
