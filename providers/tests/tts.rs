//! Voices against the fake speech servers over real loopback sockets, and the
//! local espeak-ng voice.

use std::time::Duration;

use futures_util::StreamExt;
use providers::ProviderError;
use providers::retry::RetryPolicy;
use providers::tts::{Espeak, Fallback, HttpTts, HttpTtsConfig, HttpTtsFlavor, PcmStream, Tts};
use tests::fakes::speech::{SECONDS_PER_CHAR, SpeechScript, start};

const BOUND: Duration = Duration::from_secs(20);
const TEXT: &str = "Thanks, tell me more about that project.";

async fn collect(mut stream: PcmStream) -> (u32, usize, Duration) {
    let mut rate = 0;
    let mut samples = 0;
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        rate = chunk.sample_rate;
        samples += chunk.samples.len();
        first.get_or_insert(chunk.since_request);
    }
    (rate, samples, first.unwrap_or_default())
}

fn config(flavor: HttpTtsFlavor, base_url: String, first_byte_timeout: Duration) -> HttpTtsConfig {
    let mut config = HttpTtsConfig::new(flavor, base_url);
    config.api_key = Some("test-key".into());
    config.first_byte_timeout = first_byte_timeout;
    config.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    config
}

async fn streams_pcm(flavor: HttpTtsFlavor, auth: &str, path_prefix: &str) {
    let fake = start(SpeechScript {
        time_to_first_byte: Duration::from_millis(120),
        ..SpeechScript::default()
    })
    .await
    .expect("fake");
    let tts =
        HttpTts::new(config(flavor, fake.base_url(), Duration::from_secs(2))).expect("client");
    let (rate, samples, ttfb) = tokio::time::timeout(BOUND, async {
        collect(tts.synthesize(TEXT).await.expect("synthesis starts")).await
    })
    .await
    .expect("bounded");
    assert_eq!(rate, 24_000);
    let expected = (TEXT.chars().count() as f64 * SECONDS_PER_CHAR * 24_000.0) as usize;
    assert_eq!(
        samples, expected,
        "every sample arrives, odd chunk boundaries included"
    );
    assert!(
        ttfb >= Duration::from_millis(120) && ttfb < Duration::from_secs(2),
        "TTFB {ttfb:?}"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].target.starts_with(path_prefix),
        "{}",
        requests[0].target
    );
    assert_eq!(requests[0].header("authorization"), Some(auth));
}

#[tokio::test]
async fn openai_speech_streams_pcm_and_measures_first_byte() {
    streams_pcm(HttpTtsFlavor::OpenAi, "Bearer test-key", "/v1/audio/speech").await;
}

#[tokio::test]
async fn deepgram_aura_streams_pcm_and_measures_first_byte() {
    streams_pcm(
        HttpTtsFlavor::DeepgramAura,
        "Token test-key",
        "/v1/speak?model=aura-2-thalia-en",
    )
    .await;
}

#[tokio::test]
async fn a_hanging_voice_is_a_typed_timeout() {
    let fake = start(SpeechScript {
        hang: true,
        ..SpeechScript::default()
    })
    .await
    .expect("fake");
    let tts = HttpTts::new(config(
        HttpTtsFlavor::OpenAi,
        fake.base_url(),
        Duration::from_millis(200),
    ))
    .expect("client");
    let result = tokio::time::timeout(BOUND, tts.synthesize(TEXT))
        .await
        .expect("bounded");
    assert!(
        matches!(result, Err(ProviderError::FirstByteTimeout(_))),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn a_hanging_voice_falls_back_to_espeak() {
    let fake = start(SpeechScript {
        hang: true,
        ..SpeechScript::default()
    })
    .await
    .expect("fake");
    let primary = HttpTts::new(config(
        HttpTtsFlavor::OpenAi,
        fake.base_url(),
        Duration::from_millis(200),
    ))
    .expect("client");
    let tts = Fallback {
        primary,
        fallback: Espeak::default(),
    };
    let (rate, samples, _) = tokio::time::timeout(BOUND, async {
        collect(tts.synthesize(TEXT).await.expect("fallback speaks")).await
    })
    .await
    .expect("bounded");
    assert_eq!(fake.requests().len(), 1, "the primary was tried");
    assert_eq!(rate, 22_050, "espeak-ng's rate, so the fallback spoke");
    assert!(samples > 22_050, "at least a second of speech");
}

#[tokio::test]
async fn espeak_audio_has_plausible_length() {
    let tts = Espeak::default();
    let (rate, short, ttfb) = collect(tts.synthesize("Hello.").await.expect("espeak")).await;
    let (_, long, _) = collect(tts.synthesize(TEXT).await.expect("espeak")).await;
    assert_eq!(rate, 22_050);
    let long_secs = long as f64 / f64::from(rate);
    // About 2.5 s at 170 words per minute for seven words.
    assert!((1.2..6.0).contains(&long_secs), "{long_secs} s");
    assert!(
        long > short * 2,
        "longer text, longer audio: {long} vs {short}"
    );
    assert!(ttfb < Duration::from_secs(5), "TTFB {ttfb:?}");
}
