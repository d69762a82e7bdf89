//! The decoder on a human recording that Debian's `pocketsphinx-testdata` ships.

use std::path::Path;

use sphinx::{DEFAULT_BASE_LIBRARY, DEFAULT_LIBRARY, DEFAULT_MODEL, Decoder, Library, Model};

const RECORDING: &str =
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav";

fn samples(path: &str) -> Vec<i16> {
    let mut reader = hound::WavReader::open(path).expect("pocketsphinx-testdata is installed");
    assert_eq!(reader.spec().sample_rate, sphinx::SAMPLE_RATE);
    reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples")
}

#[test]
fn a_human_recording_is_decoded_with_word_times_after_the_silence_before_it() {
    let lib = Library::load(DEFAULT_LIBRARY, DEFAULT_BASE_LIBRARY).expect("libpocketsphinx3");
    let model = Model::in_dir(Path::new(DEFAULT_MODEL)).expect("pocketsphinx-en-us");
    let mut decoder = Decoder::new(&lib, &model).expect("decoder");
    let speech = samples(RECORDING);
    let mut audio = vec![0i16; 2 * 16_000];
    audio.extend(&speech);
    audio.extend(vec![0i16; 16_000]);
    let mut heard_speech = false;
    for chunk in audio.chunks(320) {
        decoder.process(chunk).expect("process");
        heard_speech |= decoder.in_speech();
    }
    decoder.end().expect("end");
    assert!(heard_speech, "the silence detector heard the speech");
    let words = decoder.segments();
    let text: Vec<&str> = words.iter().map(|s| s.word.as_str()).collect();
    // "he might even have been made amiable himself": most of it is heard.
    let reference = [
        "he", "might", "even", "have", "been", "made", "amiable", "himself",
    ];
    let hits = reference.iter().filter(|w| text.contains(w)).count();
    assert!(hits >= 5, "{text:?}");
    let end = 2.0 + speech.len() as f64 / 16_000.0;
    for w in &words {
        let (start, stop) = (
            f64::from(w.start_frame) / sphinx::FRAME_RATE,
            f64::from(w.end_frame) / sphinx::FRAME_RATE,
        );
        assert!(start >= 1.9 && stop <= end + 0.1 && start <= stop, "{w:?}");
        assert!((0.0..=1.0).contains(&w.probability), "{w:?}");
    }
    assert!(words.windows(2).all(|p| p[0].end_frame < p[1].start_frame));
    assert_eq!(
        decoder.hypothesis().map(|h| h.split(' ').count()),
        Some(words.len())
    );
}

#[test]
fn a_missing_library_or_model_is_a_clear_error() {
    let err = Library::load("libpocketsphinx-nowhere.so", DEFAULT_BASE_LIBRARY)
        .expect_err("no such library");
    assert!(
        err.to_string()
            .contains("install Debian's libpocketsphinx3"),
        "{err}"
    );
    let err = Model::in_dir(Path::new("/nonexistent")).expect_err("no model");
    assert!(err.to_string().contains("incomplete"), "{err}");
}
