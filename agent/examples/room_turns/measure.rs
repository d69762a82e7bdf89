//! The figures, from the recording, the client's events and the fake LLM's requests.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use anyhow::Result;
use serde_json::Value;
use tests::pyclient::{recording_timeline, wall_time};
use tests::speech;

use crate::candidate::final_transcript;
use crate::script::{Burst, Scenario, reply_seconds};

/// 10 ms RMS (of full scale) from which the agent's audio counts as present (-40 dBFS).
pub const LEVEL: f32 = 0.01;
/// Samples per analysis window (10 ms at 48 kHz).
const WINDOW: usize = 480;
/// The drop in level at which the candidate hears the agent yield.
const YIELD_DB: f32 = 10.0;
/// Silence (seconds) that counts as the agent having stopped.
const SILENT_RUN: f64 = 0.5;
/// How much shorter than the reply its audio may be and still count as whole.
const SHORT_TOLERANCE: f64 = 0.3;
/// How much longer than the reply its audio may be before words count as repeated (the
/// estimate of a reply's length may be low by a space or two, 60 ms each).
const LONG_TOLERANCE: f64 = 0.2;
/// Silence inside a reply that counts as the agent having stopped, not held.
const STOPPED: f64 = 1.0;

/// A clip as played: its first sample's wall time and its bursts.
#[derive(Debug, Clone)]
pub struct Played {
    pub start: f64,
    pub bursts: Vec<Burst>,
}

impl Played {
    /// Wall time of the first voiced sample.
    pub fn onset(&self) -> f64 {
        self.start + self.bursts.first().map_or(0.0, |b| b.start)
    }

    /// Wall time just after the last voiced sample.
    pub fn end(&self) -> f64 {
        self.start + self.bursts.last().map_or(0.0, |b| b.end)
    }
}

/// One scenario as it ran.
#[derive(Debug, Clone)]
pub struct Run {
    pub scenario: Scenario,
    /// The clip said from silence.
    pub turn: Played,
    /// The backchannel, cough or interruption said over the reply.
    pub interjection: Option<Played>,
    /// From just before the first clip to when the agent was seen done (wall clock).
    pub window: (f64, f64),
    /// Indices of the LLM requests made meanwhile.
    pub requests: Range<usize>,
}

/// The agent's audio as the candidate recorded it, in 10 ms windows on the wall clock.
pub struct Heard {
    samples: Vec<f32>,
    /// RMS of each window.
    level: Vec<f32>,
    /// Wall time of each window's first sample (non-decreasing).
    times: Vec<f64>,
}

impl Heard {
    /// Reads a recording and its timeline.
    pub fn load(path: &Path) -> Result<Self> {
        let (_, samples) = speech::read_wav(path)?;
        let timeline = recording_timeline(path)?;
        anyhow::ensure!(!timeline.is_empty(), "the recording is empty");
        let level = tests::signal::rms_envelope(&samples, WINDOW);
        let mut times = Vec::with_capacity(level.len());
        let mut last = f64::MIN;
        for i in 0..level.len() {
            let t = wall_time(&timeline, (i * WINDOW) as u64).unwrap_or(last);
            last = last.max(t);
            times.push(last);
        }
        Ok(Self {
            samples,
            level,
            times,
        })
    }

    /// The first window starting at or after `t`.
    fn index(&self, t: f64) -> usize {
        self.times.partition_point(|&w| w < t)
    }

    fn windows(&self, from: f64, to: f64) -> Range<usize> {
        self.index(from)..self.index(to)
    }

    fn loud(&self, i: usize) -> bool {
        self.level[i] >= LEVEL
    }

    /// Wall time of the first agent sample at or above `LEVEL` in a loud window in
    /// `[from, to)`.
    pub fn first_loud(&self, from: f64, to: f64) -> Option<f64> {
        let i = self.windows(from, to).find(|&i| self.loud(i))?;
        let window = &self.samples[i * WINDOW..(i + 1) * WINDOW];
        let k = window.iter().position(|s| s.abs() >= LEVEL).unwrap_or(0);
        Some(self.times[i] + k as f64 / f64::from(speech::RATE))
    }

    /// Wall time of the end of the last loud window in `[from, to)`.
    pub fn last_loud_end(&self, from: f64, to: f64) -> Option<f64> {
        let i = self.windows(from, to).rev().find(|&i| self.loud(i))?;
        Some(self.times[i] + 0.01)
    }

    /// The longest run of quiet windows in `[from, to)`, in seconds.
    pub fn longest_quiet(&self, from: f64, to: f64) -> f64 {
        let (mut longest, mut run) = (0usize, 0usize);
        for i in self.windows(from, to) {
            run = if self.loud(i) { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest as f64 * 0.01
    }

    /// Seconds of loud windows in `[from, to)`.
    pub fn loud_seconds(&self, from: f64, to: f64) -> f64 {
        self.windows(from, to).filter(|&i| self.loud(i)).count() as f64 * 0.01
    }

    /// Mean RMS over `[from, to)`.
    fn mean_level(&self, from: f64, to: f64) -> Option<f32> {
        let w = self.windows(from, to);
        let n = w.len();
        (n > 0).then(|| self.level[w].iter().sum::<f32>() / n as f32)
    }

    /// Seconds from `t` until the agent's level first drops `YIELD_DB` below its mean
    /// over the 300 ms before `t`; `None` when it was not speaking then.
    pub fn yield_after(&self, t: f64, to: f64) -> Option<f64> {
        let before = self.mean_level(t - 0.3, t).filter(|&l| l >= LEVEL)?;
        let limit = before * 10f32.powf(-YIELD_DB / 20.0);
        let i = self.windows(t, to).find(|&i| self.level[i] < limit)?;
        Some(self.times[i] - t)
    }

    /// Seconds from `t` until the agent falls silent for `SILENT_RUN` seconds.
    pub fn silent_after(&self, t: f64, to: f64) -> Option<f64> {
        let run = (SILENT_RUN / 0.01).round() as usize;
        let w = self.windows(t, to);
        let i = w
            .clone()
            .find(|&i| i + run <= w.end && (i..i + run).all(|j| !self.loud(j)))?;
        Some(self.times[i] - t)
    }
}

/// A final agent transcript: arrival time and words.
struct AgentFinal {
    t: f64,
    words: Vec<String>,
}

fn agent_finals(events: &[Value]) -> Vec<AgentFinal> {
    events
        .iter()
        .filter_map(|e| {
            let (segment, t) = final_transcript(e)?;
            segment.starts_with("SG_agent_").then(|| AgentFinal {
                t,
                words: words(e["text"].as_str().unwrap_or_default()),
            })
        })
        .collect()
}

/// Lower-case words without punctuation.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// How a backchannel or cough disturbed the reply it was said over.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cut {
    /// Cut short: its final transcript is not the whole reply (or there are several), or its
    /// audio is more than `SHORT_TOLERANCE` short of the reply's length.
    pub short: bool,
    /// Stopped: silent for `STOPPED` seconds or more before going on.
    pub stopped: bool,
    /// Words repeated: its audio is more than `LONG_TOLERANCE` longer than the reply (a
    /// resume starts again from the last word the agent counts as heard).
    pub repeated: bool,
    /// The agent made another LLM request.
    pub request: bool,
}

impl Cut {
    /// Whether the reply did not simply play on: a false interruption.
    pub fn any(&self) -> bool {
        self.short || self.stopped || self.repeated || self.request
    }
}

/// LLM requests and replies heard in one set.
#[derive(Debug, Default, Clone, Copy)]
pub struct Generations {
    pub requests: usize,
    pub heard: usize,
}

/// Everything one DTX mode measured (seconds).
#[derive(Debug, Default)]
pub struct Figures {
    /// Last voiced sample of a complete sentence said from silence to first agent audio.
    pub latency: Vec<f64>,
    /// The same after the continuation of a paused sentence (when not cut off).
    pub after_pause: Vec<f64>,
    /// Paused sentences: (cue, cut off).
    pub cutoffs: Vec<(String, bool)>,
    /// Backchannels and coughs: (set, how the reply was disturbed).
    pub cuts: Vec<(&'static str, Cut)>,
    /// Interruptions: onset to a 10 dB drop, and to silence.
    pub yields: Vec<f64>,
    pub silences: Vec<f64>,
    /// Interruptions whose onset found the agent not speaking.
    pub missed_onsets: usize,
    /// Longest silence in a reply from the interjection to its end, by set; under "none",
    /// over whole replies to complete sentences.
    pub gaps: BTreeMap<&'static str, Vec<f64>>,
    pub generations: BTreeMap<&'static str, Generations>,
    /// Flushes of the agent's audio by set (the session's own report, for comparison).
    pub flushes: BTreeMap<&'static str, usize>,
    /// Per-scenario lines for `--verbose`.
    pub lines: Vec<String>,
    pub stt_in_sync: bool,
    pub stt_finals: usize,
    /// (late, all) candidate frames the agent handled.
    pub late_frames: (u64, u64),
    /// RTP packets per second the candidate's microphone sent over the scenarios.
    pub mic_packets_per_second: f64,
    pub floor: f64,
    /// The agent's own per-turn latencies (its session report), every turn of the mode.
    pub agent_turns: Vec<conversation::TurnMetrics>,
}

/// What the runs are measured against.
pub struct Inputs<'a> {
    pub heard: &'a Heard,
    /// Every event the candidate's client printed.
    pub events: &'a [Value],
    /// The fake LLM's replies, by request index.
    pub replies: &'a [String],
    /// Wall times of the agent's audio flushes (from the session's report).
    pub flushes: &'a [f64],
}

/// What one run needs besides the recording: its window's final agent transcripts and the
/// reply to its first LLM request.
struct Context<'a> {
    heard: &'a Heard,
    finals: Vec<&'a AgentFinal>,
    reply: &'a str,
}

/// Measures every run.
pub fn figures(runs: &[Run], inputs: &Inputs, floor: f64) -> Figures {
    let finals = agent_finals(inputs.events);
    let mut f = Figures {
        floor,
        ..Figures::default()
    };
    for run in runs {
        let (from, to) = run.window;
        let set = run.scenario.set();
        let cx = Context {
            heard: inputs.heard,
            finals: finals.iter().filter(|a| a.t >= from && a.t <= to).collect(),
            reply: inputs
                .replies
                .get(run.requests.start)
                .map_or("", String::as_str),
        };
        let heard_replies = cx.finals.iter().filter(|a| !a.words.is_empty()).count();
        let g = f.generations.entry(set).or_default();
        g.requests += run.requests.len();
        g.heard += heard_replies;
        let flushes = inputs
            .flushes
            .iter()
            .filter(|&&t| t >= from && t <= to)
            .count();
        *f.flushes.entry(set).or_default() += flushes;
        let line = match &run.scenario {
            Scenario::Complete { .. } => complete(&mut f, run, &cx),
            Scenario::Pause { cue, .. } => paused(&mut f, run, &cx, cue),
            Scenario::Backchannel { .. } | Scenario::Cough { .. } => interjected(&mut f, run, &cx),
            Scenario::Interruption { .. } => interrupted(&mut f, run, &cx),
        };
        f.lines.push(format!(
            "{:<28} LLM requests {}, replies heard {heard_replies}, agent flushes {flushes}: {line}",
            run.scenario.label(),
            run.requests.len(),
        ));
    }
    f
}

fn ms(seconds: Option<f64>) -> String {
    seconds.map_or("-".into(), |s| format!("{:.0} ms", s * 1000.0))
}

/// Response latency of the turn said from silence; `None` if the agent said nothing.
fn turn_latency(f: &mut Figures, run: &Run, heard: &Heard) -> Option<f64> {
    let end = run.turn.end();
    let latency = heard.first_loud(end, run.window.1).map(|t| t - end);
    f.latency.extend(latency);
    latency
}

/// The reply to the turn: from its first audio to the end of its last, on the wall clock.
fn reply_span(run: &Run, heard: &Heard, latency: Option<f64>) -> Option<(f64, f64)> {
    let start = run.turn.end() + latency?;
    Some((start, heard.last_loud_end(start, run.window.1)?))
}

fn complete(f: &mut Figures, run: &Run, cx: &Context) -> String {
    let latency = turn_latency(f, run, cx.heard);
    let Some((start, end)) = reply_span(run, cx.heard, latency) else {
        return "NO REPLY".into();
    };
    let gap = cx.heard.longest_quiet(start, end);
    f.gaps.entry("none").or_default().push(gap);
    format!(
        "latency {}, reply audio {:.2} s of {:.2} s, longest silence in it {}",
        ms(latency),
        cx.heard.loud_seconds(start, end),
        reply_seconds(cx.reply),
        ms(Some(gap))
    )
}

fn paused(f: &mut Figures, run: &Run, cx: &Context, cue: &str) -> String {
    let first_end = run.turn.start + run.turn.bursts.first().map_or(0.0, |b| b.end);
    let end = run.turn.end();
    let first_audio = cx.heard.first_loud(first_end, run.window.1);
    let cut = first_audio.is_some_and(|t| t < end);
    f.cutoffs.push((cue.to_owned(), cut));
    let latency = first_audio.filter(|_| !cut).map(|t| t - end);
    f.after_pause.extend(latency);
    match first_audio {
        Some(t) if cut => format!(
            "CUT OFF: agent audio {:.0} ms after the first half, {:.0} ms before the end",
            (t - first_end) * 1000.0,
            (end - t) * 1000.0
        ),
        _ => format!("latency after the continuation {}", ms(latency)),
    }
}

fn interjected(f: &mut Figures, run: &Run, cx: &Context) -> String {
    let latency = turn_latency(f, run, cx.heard);
    let (Some(onset), Some((start, end))) = (
        run.interjection.as_ref().map(Played::onset),
        reply_span(run, cx.heard, latency),
    ) else {
        return "NO REPLY".into();
    };
    let gap = cx.heard.longest_quiet(onset, end);
    f.gaps.entry(run.scenario.set()).or_default().push(gap);
    let audio = cx.heard.loud_seconds(start, end);
    let expected = reply_seconds(cx.reply);
    let whole = words(cx.reply);
    let cut = Cut {
        short: cx.finals.len() != 1
            || cx.finals.iter().any(|a| a.words != whole)
            || audio < expected - SHORT_TOLERANCE,
        stopped: gap >= STOPPED,
        repeated: audio > expected + LONG_TOLERANCE,
        request: run.requests.len() > 1,
    };
    f.cuts.push((run.scenario.set(), cut));
    format!(
        "latency {}, reply audio {audio:.2} s of {expected:.2} s, longest silence after the interjection {}{}",
        ms(latency),
        ms(Some(gap)),
        if cut.any() {
            format!(", FALSE INTERRUPTION {cut:?}")
        } else {
            String::new()
        }
    )
}

fn interrupted(f: &mut Figures, run: &Run, cx: &Context) -> String {
    let latency = turn_latency(f, run, cx.heard);
    let Some(onset) = run.interjection.as_ref().map(Played::onset) else {
        return "no interruption".into();
    };
    let to = run.window.1;
    let yielded = cx.heard.yield_after(onset, to);
    let silent = cx.heard.silent_after(onset, to);
    if yielded.is_none() {
        f.missed_onsets += 1;
    }
    f.yields.extend(yielded);
    f.silences.extend(silent);
    format!(
        "latency {}, barge-in: -10 dB after {}, silent after {}",
        ms(latency),
        ms(yielded),
        ms(silent)
    )
}
