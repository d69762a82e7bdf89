//! The installed Silero model has the inputs this crate relies on and separates speech
//! from silence.

mod common;

use dsp::silero::{Silero, WINDOW_SAMPLES};

#[test]
fn model_has_expected_inputs_and_separates_speech_from_silence() -> anyhow::Result<()> {
    let mut silero = Silero::load(
        &tests::paths::onnxruntime_lib(),
        &tests::paths::silero_model(),
    )?;
    let inputs = silero.describe_inputs();
    println!("{inputs:?}");
    assert_eq!(inputs.len(), 3);
    assert!(inputs[0].starts_with("input: Tensor<f32>"), "{inputs:?}");
    assert!(
        inputs[1].starts_with("state: Tensor<f32>(2, "),
        "{inputs:?}"
    );
    assert!(inputs[2].starts_with("sr: Tensor<i64>"), "{inputs:?}");
    let silence = [0.0_f32; WINDOW_SAMPLES];
    let mut max_silence = 0.0_f32;
    for _ in 0..10 {
        max_silence = max_silence.max(silero.probability(&silence)?);
    }
    assert!(max_silence < 0.2, "silence scored {max_silence}");
    assert_eq!(silero.runs(), 10);
    let dir = tempfile::tempdir()?;
    let speech48 = common::utterance(
        dir.path(),
        "s",
        "this is a sentence spoken for the model",
        &tests::speech::Voice::default(),
    )?;
    let speech16: Vec<f32> = speech48.iter().step_by(3).copied().collect();
    silero.reset();
    let probs: Vec<f32> = speech16
        .chunks_exact(WINDOW_SAMPLES)
        .map(|w| silero.probability(w.try_into().expect("exact chunk")))
        .collect::<Result<_, _>>()?;
    let high = probs.iter().filter(|&&p| p > 0.5).count() as f32 / probs.len() as f32;
    println!("{:.0}% of speech windows above 0.5", high * 100.0);
    assert!(high > 0.7, "only {high} of speech windows scored as speech");
    Ok(())
}

#[test]
fn a_missing_runtime_library_is_an_error_not_a_panic() {
    let result = Silero::load(
        std::path::Path::new("/nonexistent/libonnxruntime.so"),
        &tests::paths::silero_model(),
    );
    assert!(result.is_err());
}
