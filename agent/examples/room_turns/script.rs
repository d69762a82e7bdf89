//! What the candidate says, and the agent's replies.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use tests::speech;

/// The fake STT's RMS gate (of full scale) on 10 ms blocks: voiced or not.
pub const GATE: f32 = 0.02;
/// Voiced seconds below which a burst is noise without words (the fake's `min_speech`).
pub const MIN_SPEECH: f64 = 0.25;
/// Silence that ends a burst in the fake STT (the agent's VAD finalizes sooner).
pub const ENDPOINTING: f64 = 0.6;
/// A burst's voiced time must be this far from `MIN_SPEECH`, so that Opus cannot move it
/// across and shift the fake's script.
const MARGIN: f64 = 0.08;
/// Silence after each clip.
const TAIL: f32 = 0.2;

/// Complete sentences: the complete-sentence turns and the lead-ins of the others.
const SENTENCES: [&str; 8] = [
    "I have built payment systems in Rust for five years.",
    "The hardest part was deciding what the right abstraction is.",
    "We moved the whole team to a weekly release schedule.",
    "Most of my time went into reviewing designs and mentoring.",
    "The problem turned out to be a race in the cache layer.",
    "I enjoy working on systems where correctness really matters.",
    "Our biggest customer needed every report within one second.",
    "I would start by measuring where the time actually goes.",
];

/// Sentences with a pause: (cue, first half, continuation).
const PAUSED: [(&str, &str, &str); 3] = [
    (
        "and",
        "I designed the ledger service and",
        "then I led the migration to it.",
    ),
    (
        "so",
        "We needed much lower latency, so",
        "we rewrote the hot path in Rust.",
    ),
    (
        "um",
        "The main problem was, um",
        "the schema of the old database.",
    ),
];

/// Pauses (seconds) cycled over the paused sentences.
const PAUSES: [f32; 6] = [0.8, 1.2, 1.5, 1.5, 0.8, 1.2];

/// Backchannels said over a reply, alternately.
const BACKCHANNELS: [&str; 2] = ["Mhmm.", "Yeah."];

/// Sentences said over the agent.
const INTERRUPTIONS: [&str; 4] = [
    "Sorry, can I ask something about the team first?",
    "Wait, I think I misunderstood the question.",
    "Actually, let me correct what I said before.",
    "Hold on, could you repeat the last part please?",
];

/// The LLM's replies, cycled: request `n` gets `REPLIES[n % len]`.
const REPLIES: [&str; 8] = [
    "Thank you, that helps. What made you choose that approach then?",
    "That sounds demanding. How did you decide what to build first?",
    "I see, a useful perspective. Which part taught you the most?",
    "Thanks, that is clear. How did the rest of the team take part?",
    "An interesting trade-off. What would you do differently next time?",
    "Good, let us stay on that. How did you know that it worked?",
    "Understood, thank you. What was the most surprising problem?",
    "That makes sense. How did you keep the system reliable as it grew?",
];

/// One scenario of the plan.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// A complete sentence, then the whole reply.
    Complete { sentence: &'static str },
    /// First half, a pause after `cue`, the continuation, then the whole reply.
    Pause {
        cue: &'static str,
        first: &'static str,
        pause: f32,
        second: &'static str,
    },
    /// A lead-in sentence; a second into the reply, a backchannel.
    Backchannel {
        lead: &'static str,
        word: &'static str,
    },
    /// A lead-in sentence; a second into the reply, a 150 ms cough.
    Cough { lead: &'static str },
    /// A lead-in sentence; 1.5 s into the reply, a whole sentence over it.
    Interruption {
        lead: &'static str,
        words: &'static str,
    },
}

impl Scenario {
    /// The set it belongs to (figures are grouped by set).
    pub fn set(&self) -> &'static str {
        match self {
            Scenario::Complete { .. } => "complete",
            Scenario::Pause { .. } => "pause",
            Scenario::Backchannel { .. } => "backchannel",
            Scenario::Cough { .. } => "cough",
            Scenario::Interruption { .. } => "interruption",
        }
    }

    /// A short description for logs and errors.
    pub fn label(&self) -> String {
        match self {
            Scenario::Complete { .. } => "complete sentence".into(),
            Scenario::Pause { cue, pause, .. } => format!("{pause} s pause after \"{cue}\""),
            Scenario::Backchannel { word, .. } => format!("backchannel \"{word}\""),
            Scenario::Cough { .. } => "cough".into(),
            Scenario::Interruption { .. } => "interruption".into(),
        }
    }

    /// What the fake STT transcribes, one utterance per speech burst, in order.
    fn utterances(&self) -> Vec<String> {
        let texts: Vec<&str> = match self {
            Scenario::Complete { sentence } => vec![sentence],
            Scenario::Pause { first, second, .. } => vec![first, second],
            Scenario::Backchannel { lead, word } => vec![lead, word],
            Scenario::Cough { lead } => vec![lead],
            Scenario::Interruption { lead, words } => vec![lead, words],
        };
        texts.into_iter().map(str::to_owned).collect()
    }
}

/// A stretch of a clip the fake STT hears as one burst, in seconds from the clip's start.
#[derive(Debug, Clone, Copy)]
pub struct Burst {
    pub start: f64,
    pub end: f64,
    /// Voiced seconds in it.
    pub voiced: f64,
}

impl Burst {
    /// Whether the fake STT gives it words.
    pub fn has_words(&self) -> bool {
        self.voiced >= MIN_SPEECH
    }
}

/// A 48 kHz WAV the candidate plays, and where its speech is.
#[derive(Debug, Clone)]
pub struct Clip {
    pub path: PathBuf,
    pub bursts: Vec<Burst>,
}

/// A scenario with its clips: `turn` is said from silence, `interjection` over a reply.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub scenario: Scenario,
    pub turn: Clip,
    pub interjection: Option<Clip>,
}

/// The plan, interleaving the sets: per repetition 8 complete sentences, 6 paused ones,
/// 4 backchannels, 3 coughs and 4 interruptions; clips are generated into `dir`.
pub fn prepare(dir: &Path, repeat: usize) -> Result<Vec<Prepared>> {
    let mut plan = Vec::new();
    for round in 0..repeat {
        for (i, scenario) in scenarios(round).into_iter().enumerate() {
            let name = format!("r{round}-s{i:02}");
            plan.push(prepare_one(dir, &name, scenario)?);
        }
    }
    Ok(plan)
}

/// One repetition's scenarios, in the order they are run.
fn scenarios(round: usize) -> Vec<Scenario> {
    let sentence = |i: usize| SENTENCES[(i + round) % SENTENCES.len()];
    let lead = |i: usize| SENTENCES[(i + 3 + round) % SENTENCES.len()];
    let pause = |i: usize| {
        let (cue, first, second) = PAUSED[i % PAUSED.len()];
        Scenario::Pause {
            cue,
            first,
            pause: PAUSES[i % PAUSES.len()],
            second,
        }
    };
    let backchannel = |i: usize| Scenario::Backchannel {
        lead: lead(i),
        word: BACKCHANNELS[i % BACKCHANNELS.len()],
    };
    let cough = |i: usize| Scenario::Cough { lead: lead(i + 4) };
    let interruption = |i: usize| Scenario::Interruption {
        lead: lead(i + 1),
        words: INTERRUPTIONS[(i + round) % INTERRUPTIONS.len()],
    };
    let complete = |i: usize| Scenario::Complete {
        sentence: sentence(i),
    };
    vec![
        complete(0),
        pause(0),
        backchannel(0),
        complete(1),
        pause(1),
        cough(0),
        interruption(0),
        complete(2),
        pause(2),
        backchannel(1),
        complete(3),
        interruption(1),
        complete(4),
        pause(3),
        backchannel(2),
        complete(5),
        pause(4),
        cough(1),
        interruption(2),
        complete(6),
        pause(5),
        backchannel(3),
        complete(7),
        cough(2),
        interruption(3),
    ]
}

/// Generates a scenario's clips and checks the fake STT will hear them as scripted.
fn prepare_one(dir: &Path, name: &str, scenario: Scenario) -> Result<Prepared> {
    let normal = speech::Voice::default();
    let (turn, interjection) = match &scenario {
        Scenario::Complete { sentence } => (spoken(dir, name, &[(sentence, 0.0)], &normal)?, None),
        Scenario::Pause {
            first,
            pause,
            second,
            ..
        } => (
            spoken(dir, name, &[(first, *pause), (second, 0.0)], &normal)?,
            None,
        ),
        Scenario::Backchannel { lead, word } => {
            // "Yeah." at 160 words a minute has 0.31 voiced seconds, too close to the
            // fake STT's 0.25 s; said a little slower it keeps a margin.
            let slow = speech::Voice {
                words_per_minute: 130,
                ..speech::Voice::default()
            };
            let voice = if *word == "Yeah." { &slow } else { &normal };
            let back = spoken(dir, &format!("{name}-back"), &[(word, 0.0)], voice)?;
            (spoken(dir, name, &[(lead, 0.0)], &normal)?, Some(back))
        }
        Scenario::Cough { lead } => (
            spoken(dir, name, &[(lead, 0.0)], &normal)?,
            Some(cough(dir, &format!("{name}-cough"))?),
        ),
        Scenario::Interruption { lead, words } => (
            spoken(dir, name, &[(lead, 0.0)], &normal)?,
            Some(spoken(
                dir,
                &format!("{name}-over"),
                &[(words, 0.0)],
                &normal,
            )?),
        ),
    };
    let prepared = Prepared {
        scenario,
        turn,
        interjection,
    };
    check_bursts(&prepared)?;
    Ok(prepared)
}

/// Fails unless the clips' bursts with words match the scripted utterances one for one,
/// each clearly on its side of the fake STT's `MIN_SPEECH`.
fn check_bursts(p: &Prepared) -> Result<()> {
    let bursts: Vec<Burst> = std::iter::once(&p.turn)
        .chain(p.interjection.as_ref())
        .flat_map(|c| c.bursts.iter().copied())
        .collect();
    let worded = bursts.iter().filter(|b| b.has_words()).count();
    let expected = p.scenario.utterances().len();
    if worded != expected {
        bail!(
            "{}: the clips have {worded} bursts with words, the script {expected}: {bursts:?}",
            p.scenario.label()
        );
    }
    if let Some(b) = bursts
        .iter()
        .find(|b| (b.voiced - MIN_SPEECH).abs() < MARGIN)
    {
        bail!(
            "{}: a burst of {:.2} voiced seconds is too close to the fake STT's {MIN_SPEECH} s",
            p.scenario.label(),
            b.voiced
        );
    }
    Ok(())
}

/// espeak-ng speech of each text followed by its pause, then `TAIL` of silence.
fn spoken(dir: &Path, name: &str, parts: &[(&str, f32)], voice: &speech::Voice) -> Result<Clip> {
    let mut samples = Vec::new();
    for (i, (text, pause)) in parts.iter().enumerate() {
        let part = dir.join(format!("{name}-{i}.spoken.wav"));
        speech::speak(text, voice, &part)?;
        let (rate, spoken) = speech::read_wav(&part)?;
        if rate != speech::RATE {
            bail!("espeak-ng gave {rate} Hz after conversion");
        }
        samples.extend(spoken);
        samples.extend(speech::silence(*pause));
    }
    samples.extend(speech::silence(TAIL));
    let path = dir.join(format!("{name}.wav"));
    speech::write_wav(&path, speech::RATE, &samples)?;
    Ok(Clip {
        bursts: bursts(&samples),
        path,
    })
}

/// 150 ms of loud brown noise with a sharp attack, then silence: a cough, not words.
fn cough(dir: &Path, name: &str) -> Result<Clip> {
    let path = dir.join(format!("{name}.wav"));
    let out = path.to_string_lossy().into_owned();
    let tail = TAIL.to_string();
    let mut args: Vec<&str> = "-n -r 48000 -c 1 -b 16".split(' ').collect();
    args.push(&out);
    args.extend("synth 0.15 brownnoise vol 0.6 fade 0 0.15 0.1 pad 0".split(' '));
    args.push(&tail);
    speech::sox(&args)?;
    let (_, samples) = speech::read_wav(&path)?;
    Ok(Clip {
        bursts: bursts(&samples),
        path,
    })
}

/// The bursts the fake STT finds in `samples` (48 kHz): 10 ms blocks whose RMS is above
/// `GATE` are voiced; `ENDPOINTING` of unvoiced audio ends a burst.
pub fn bursts(samples: &[f32]) -> Vec<Burst> {
    let block = speech::RATE as usize / 100;
    let mut out = Vec::new();
    let mut open: Option<Burst> = None;
    for (i, chunk) in samples.chunks_exact(block).enumerate() {
        let (start, end) = (i as f64 * 0.01, (i + 1) as f64 * 0.01);
        let rms = (chunk.iter().map(|s| s * s).sum::<f32>() / block as f32).sqrt();
        if rms > GATE {
            let b = open.get_or_insert(Burst {
                start,
                end,
                voiced: 0.0,
            });
            b.end = end;
            b.voiced += 0.01;
        } else if open.is_some_and(|b| end - b.end >= ENDPOINTING) {
            out.extend(open.take());
        }
    }
    out.extend(open);
    out
}

/// The fake STT's script for the whole plan.
pub fn utterances(plan: &[Prepared]) -> Vec<String> {
    plan.iter().flat_map(|p| p.scenario.utterances()).collect()
}

/// The fake LLM's replies, enough for every request of a run (the last one repeats).
pub fn replies() -> Vec<String> {
    REPLIES
        .iter()
        .cycle()
        .take(2000)
        .map(|r| (*r).to_owned())
        .collect()
}

/// The lowest plausible length (seconds) of a reply's audio: the fake TTS speaks
/// `SECONDS_PER_CHAR` per character of each chunk, and the spaces where the agent cut
/// the text into chunks are not spoken.
pub fn reply_seconds(text: &str) -> f64 {
    let chars: Vec<char> = text.chars().collect();
    let cuts = chars
        .windows(2)
        .filter(|w| matches!(w[0], '.' | ',' | ';' | ':' | '!' | '?') && w[1].is_whitespace())
        .count();
    (chars.len() - cuts) as f64 * tests::fakes::speech::SECONDS_PER_CHAR
}

/// One line describing the plan.
pub fn summary(plan: &[Prepared]) -> String {
    let count = |set: &str| plan.iter().filter(|p| p.scenario.set() == set).count();
    format!(
        "per DTX mode: {} complete sentences, {} mid-sentence pauses, {} backchannels, {} coughs, {} interruptions; replies of about {:.1} s",
        count("complete"),
        count("pause"),
        count("backchannel"),
        count("cough"),
        count("interruption"),
        REPLIES.iter().map(|r| reply_seconds(r)).sum::<f64>() / REPLIES.len() as f64
    )
}
