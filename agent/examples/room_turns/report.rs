//! The printed table.

use std::time::Duration;

use crate::measure::Figures;
use crate::{Args, on_off};

/// The scenario sets in the order they are printed.
const SETS: [&str; 5] = ["complete", "pause", "backchannel", "cough", "interruption"];

/// Nearest-rank percentile of sorted, non-empty `v`.
fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// One row: n, p50, p90, p99 and max in ms.
fn row(name: &str, values: &[f64]) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let Some(&max) = v.last() else {
        return format!("  {name:<44} {:>3}", 0);
    };
    let ms = |x: f64| format!("{:>7.0}", x * 1000.0);
    format!(
        "  {name:<44} {:>3} {} {} {} {}",
        v.len(),
        ms(pct(&v, 0.5)),
        ms(pct(&v, 0.9)),
        ms(pct(&v, 0.99)),
        ms(max)
    )
}

/// Prints one DTX mode's figures.
pub fn print(f: &Figures, args: &Args, dtx: bool, took: Duration) {
    println!(
        "== candidate microphone DTX {} ({:.0} s, microphone {:.1} RTP packets/s)",
        on_off(dtx),
        took.as_secs_f64(),
        f.mic_packets_per_second
    );
    print_timings(f);
    print_counts(f);
    println!(
        "  checks: fake STT script in sync {} ({} finals); agent flushes (its own report): {}; candidate frames late at the agent {}/{}",
        if f.stt_in_sync {
            "yes"
        } else {
            "NO (figures suspect)"
        },
        f.stt_finals,
        per_set(|set| f.flushes.get(set).map(|n| n.to_string())),
        f.late_frames.0,
        f.late_frames.1
    );
    if args.verbose {
        print_agent_view(f);
        for line in &f.lines {
            println!("    {line}");
        }
    }
}

/// The timings table.
fn print_timings(f: &Figures) {
    println!(
        "  {:<44} {:>3} {:>7} {:>7} {:>7} {:>7}",
        "ms", "n", "p50", "p90", "p99", "max"
    );
    let minus: Vec<f64> = f.latency.iter().map(|l| l - f.floor).collect();
    let floor = format!("  minus the provider floor ({:.0} ms)", f.floor * 1000.0);
    let gap = |set: &str| f.gaps.get(set).cloned().unwrap_or_default();
    for (name, values) in [
        ("response latency, complete sentence", f.latency.clone()),
        (floor.as_str(), minus),
        (
            "response latency after a paused sentence",
            f.after_pause.clone(),
        ),
        ("barge-in: agent 10 dB quieter", f.yields.clone()),
        ("barge-in: agent silent", f.silences.clone()),
        ("longest silence in a reply: no interjection", gap("none")),
        (
            "  from a backchannel to the reply's end",
            gap("backchannel"),
        ),
        ("  from a cough to the reply's end", gap("cough")),
    ] {
        println!("{}", row(name, &values));
    }
}

/// The agent's own latencies per turn (speech end is its VAD's), to see where time goes.
fn print_agent_view(f: &Figures) {
    let turns = &f.agent_turns;
    let speculative = turns.iter().filter(|t| t.speculative).count();
    println!(
        "  the agent's own view, all {} turns ({speculative} answered by a speculation):",
        turns.len()
    );
    let secs = |pick: fn(&conversation::TurnMetrics) -> Option<Duration>| -> Vec<f64> {
        turns
            .iter()
            .filter_map(pick)
            .map(|d| d.as_secs_f64())
            .collect()
    };
    for (name, values) in [
        ("  speech end -> STT final", secs(|t| t.stt_final_delay)),
        ("  speech end -> end of turn", secs(|t| t.end_of_turn_delay)),
        ("  LLM first token", secs(|t| t.llm_ttft)),
        ("  TTS first byte", secs(|t| t.tts_ttfb)),
        (
            "  speech end -> first audio published",
            secs(|t| t.end_to_end),
        ),
    ] {
        println!("{}", row(name, &values));
    }
}

/// Cut-offs, false interruptions and wasted generations.
fn print_counts(f: &Figures) {
    let cut = f.cutoffs.iter().filter(|c| c.1).count();
    let by_cue: Vec<String> = ["and", "so", "um"]
        .iter()
        .map(|cue| {
            let of: Vec<bool> = f
                .cutoffs
                .iter()
                .filter(|c| c.0 == *cue)
                .map(|c| c.1)
                .collect();
            format!("{cue} {}/{}", of.iter().filter(|&&c| c).count(), of.len())
        })
        .collect();
    println!(
        "  cut-offs in mid-sentence pauses: {cut}/{} ({})",
        f.cutoffs.len(),
        by_cue.join(", ")
    );
    let interruptions = |set: &str| {
        let of: Vec<_> = f.cuts.iter().filter(|c| c.0 == set).map(|c| c.1).collect();
        let n = |pred: fn(&crate::measure::Cut) -> bool| of.iter().filter(|c| pred(c)).count();
        format!(
            "{set} {}/{} (cut short {}, stopped >= 1 s {}, words repeated {}, new LLM request {})",
            n(|c| c.any()),
            of.len(),
            n(|c| c.short),
            n(|c| c.stopped),
            n(|c| c.repeated),
            n(|c| c.request)
        )
    };
    println!(
        "  false interruptions: {}; {}",
        interruptions("backchannel"),
        interruptions("cough")
    );
    if f.missed_onsets > 0 {
        println!(
            "  interruptions whose onset found the agent already quiet: {}",
            f.missed_onsets
        );
    }
    let wasted: usize = f
        .generations
        .values()
        .map(|g| g.requests.saturating_sub(g.heard))
        .sum();
    println!(
        "  wasted LLM generations (wasted/requests): {wasted} in all; {}",
        per_set(|set| {
            f.generations
                .get(set)
                .map(|g| format!("{}/{}", g.requests.saturating_sub(g.heard), g.requests))
        })
    );
}

/// "set value" for every set that has one, comma-separated.
fn per_set(value: impl Fn(&str) -> Option<String>) -> String {
    SETS.iter()
        .filter_map(|set| value(set).map(|v| format!("{set} {v}")))
        .collect::<Vec<_>>()
        .join(", ")
}
