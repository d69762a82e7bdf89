//! The per-frame path allocates nothing once a pipeline is built (ONNX Runtime's own
//! allocations inside Silero aside, which are reported). This binary counts allocations
//! with a counting global allocator.

mod common;

use dsp::pipeline::{Output, Pipeline, PipelineConfig};
use tests::speech::Voice;

fn push_all(pipeline: &mut Pipeline, samples: &[f32]) -> usize {
    let mut outputs = 0;
    for piece in samples.chunks(480) {
        pipeline.push(piece).expect("valid audio");
        while let Some(out) = pipeline.poll_output() {
            outputs += usize::from(matches!(out, Output::Vad(_) | Output::Second(_)));
        }
    }
    outputs
}

#[test]
fn pushing_frames_allocates_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let speech = common::utterance(
        dir.path(),
        "s",
        "we measure before we optimize anything",
        &Voice::default(),
    )?;
    let mut stream = common::silence(0.5);
    stream.extend_from_slice(&speech);
    stream.extend(common::silence(1.0));

    // Without Silero: speech and silence, events and timeline seconds included.
    let mut pipeline = Pipeline::new(PipelineConfig::default(), None)?;
    let mut outputs = 0;
    let info = allocation_counter::measure(|| outputs = push_all(&mut pipeline, &stream));
    println!("without Silero: {info:?}, {outputs} outputs");
    assert!(outputs >= 3, "the run produced events and seconds");
    assert_eq!(info.count_total, 0, "{info:?}");

    // With Silero: silence never reaches the model, so it allocates nothing either.
    let mut pipeline = Pipeline::new(PipelineConfig::default(), Some(common::silero()?))?;
    let info = allocation_counter::measure(|| {
        push_all(&mut pipeline, &common::silence(0.0));
    });
    assert_eq!(info.count_total, 0);
    let silence = common::silence(2.0);
    let info = allocation_counter::measure(|| {
        push_all(&mut pipeline, &silence);
    });
    assert_eq!(info.count_total, 0, "{info:?}");
    let info = allocation_counter::measure(|| {
        push_all(&mut pipeline, &speech);
    });
    let (runs, _) = pipeline.silero_usage();
    println!(
        "with Silero on speech: {} Rust-side allocations over {runs} model runs (in ort's run)",
        info.count_total
    );
    assert!(runs > 0);
    assert_eq!(info.count_current, 0, "no memory kept per run: {info:?}");
    Ok(())
}
