//! Sentence chunking, markdown stripping, completeness, backchannels, endpoint delays.

use conversation::text::{
    Completeness, SentenceChunker, completeness, is_backchannel, strip_markdown,
};
use conversation::{EndpointConfig, endpoint_delay};

#[test]
fn trailing_conjunctions_fillers_and_commas_are_incomplete() {
    for t in [
        "I worked on billing and",
        "so",
        "It failed because",
        "I used, um",
        "we tried uh",
        "first,",
    ] {
        assert_eq!(completeness(t), Completeness::Incomplete, "{t}");
    }
    assert_eq!(completeness("I shipped it."), Completeness::Complete);
    assert_eq!(completeness("I shipped it"), Completeness::Neutral);
    assert_eq!(completeness(""), Completeness::Neutral);
}

/// Real sentence endings, as a recognizer with punctuation writes them.
#[test]
fn sentences_ending_in_common_words_are_complete_with_a_full_stop() {
    for t in [
        "That's where the bottleneck really is.",
        "I stayed on that team for a while.",
        "It's the part of the job I'm most proud of.",
        "That is what the dashboard looked like.",
        "Nobody knew what the problem was.",
        "I think so.",
        "I hope so!",
        "It was the service we relied on.",
    ] {
        assert_eq!(completeness(t), Completeness::Complete, "{t}");
    }
    for t in [
        "I moved the jobs to the queue and.",
        "The latency dropped so.",
        "We picked the.",
        "The bottleneck is",
        "I worked there for",
        "Um.",
        "It is.",
    ] {
        assert_eq!(completeness(t), Completeness::Incomplete, "{t}");
    }
}

#[test]
fn endpoint_delays_grow_with_doubt_and_thinking() {
    let c = EndpointConfig::default();
    let done = endpoint_delay(&c, "Yes.", false);
    let open = endpoint_delay(&c, "yes and", false);
    assert!(done < endpoint_delay(&c, "yes", false) && endpoint_delay(&c, "yes", false) < open);
    assert!(
        open >= std::time::Duration::from_millis(1500) + c.min_delay,
        "a 1.5 s pause after 'and' must fit"
    );
    assert!(endpoint_delay(&c, "Yes.", true) > done && endpoint_delay(&c, "yes and", true) > open);
}

#[test]
fn backchannels_are_recognized_and_real_words_are_not() {
    for t in ["mhmm", "Yeah.", "okay", "right right", "uh-huh", "Mm, yeah"] {
        assert!(is_backchannel(t), "{t}");
    }
    for t in ["", "wait", "yeah but no", "stop please"] {
        assert!(!is_backchannel(t), "{t}");
    }
}

#[test]
fn markdown_and_emoji_are_stripped() {
    assert_eq!(
        strip_markdown("## **Great** answer 😀! See [the docs](http://x.y) and `code`."),
        "Great answer ! See the docs and code."
    );
    assert_eq!(strip_markdown("- first\n- second"), "first second");
}

#[test]
fn sentences_are_chunked_from_a_token_stream() {
    let mut c = SentenceChunker::new(20);
    let mut out = Vec::new();
    for tok in [
        "Hi. ",
        "This is a **longer** sentence. ",
        "And a second one here! ",
        "Tail",
    ] {
        c.push(tok);
        while let Some(s) = c.next_sentence() {
            out.push(s);
        }
    }
    out.extend(c.finish());
    assert_eq!(
        out,
        [
            "Hi.",
            "This is a longer sentence.",
            "And a second one here!",
            "Tail"
        ]
    );
}

#[test]
fn the_first_chunk_ends_at_the_first_clause() {
    let mut c = SentenceChunker::new(20);
    let mut out = Vec::new();
    for tok in [
        "Thanks, ",
        "that makes sense, so ",
        "let's talk about Rust, ",
        "and how you used it. ",
        "Next, the database.",
    ] {
        c.push(tok);
        while let Some(s) = c.next_sentence() {
            out.push(s);
        }
    }
    out.extend(c.finish());
    assert_eq!(
        out,
        [
            "Thanks, that makes sense,",
            "so let's talk about Rust, and how you used it.",
            "Next, the database."
        ]
    );
}
