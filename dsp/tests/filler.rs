//! Filler words from transcripts.

use dsp::filler::{FillerCount, count_fillers};

#[test]
fn like_as_a_verb_or_preposition_is_not_a_filler() {
    for text in [
        "I like Rust",
        "it looks like rain",
        "something like that",
        "we would like to ship",
        "it was like a dream",
    ] {
        assert_eq!(count_fillers(text).fillers, 0, "{text}");
    }
}

#[test]
fn hesitations_and_filler_like_are_counted() {
    let cases = [
        ("um I think so", 1, 4),
        ("So, like, I uh wrote it", 2, 6),
        ("it was like really fast", 1, 5),
        ("Umm... well, erm, yes", 2, 4),
        ("I like, like, Rust", 1, 4),
        ("uh like I mean", 2, 4),
    ];
    for (text, fillers, words) in cases {
        assert_eq!(
            count_fillers(text),
            FillerCount { words, fillers },
            "{text}"
        );
    }
}

#[test]
fn empty_and_odd_transcripts_have_a_zero_ratio() {
    assert_eq!(count_fillers("").ratio(), 0.0);
    assert_eq!(count_fillers(" ... !! ").words, 0);
    let r = count_fillers("um um um um").ratio();
    assert_eq!(r, 1.0);
}
