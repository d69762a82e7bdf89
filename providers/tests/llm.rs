//! The OpenAI-compatible client and the scripted responder against the fake
//! chat completions server over a real loopback socket.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use providers::ProviderError;
use providers::llm::{
    ChatMessage, DeltaStream, Fallback, Llm, OpenAiChat, OpenAiChatConfig, Scripted,
};
use providers::retry::RetryPolicy;
use tests::fakes::openai_chat::{ChatScript, start};

const BOUND: Duration = Duration::from_secs(20);

fn client(base_url: String, first_token_timeout: Duration) -> OpenAiChat {
    let config = OpenAiChatConfig {
        base_url,
        api_key: Some("test-key".into()),
        model: "fake-model".into(),
        first_token_timeout,
        idle_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
        },
    };
    OpenAiChat::new(config).expect("client builds")
}

fn question() -> Vec<ChatMessage> {
    vec![ChatMessage {
        role: "user".into(),
        content: "Hello".into(),
    }]
}

async fn collect(mut stream: DeltaStream) -> (String, Vec<Duration>) {
    let mut text = String::new();
    let mut times = Vec::new();
    while let Some(delta) = stream.next().await {
        let delta = delta.expect("delta");
        text.push_str(&delta.text);
        times.push(delta.since_request);
    }
    (text, times)
}

#[tokio::test]
async fn streams_tokens_and_measures_time_to_first_token() {
    let fake = start(ChatScript {
        replies: vec!["Why do you want this role?".into()],
        time_to_first_token: Duration::from_millis(150),
        per_token_delay: Duration::from_millis(10),
        ..ChatScript::default()
    })
    .await
    .expect("fake starts");
    let llm = client(fake.base_url(), Duration::from_secs(2));
    let (text, times) = tokio::time::timeout(BOUND, async {
        collect(llm.reply(&question()).await.expect("reply")).await
    })
    .await
    .expect("bounded");
    assert_eq!(text, "Why do you want this role?");
    assert_eq!(times.len(), 6, "one delta per word");
    assert!(
        times[0] >= Duration::from_millis(150),
        "TTFT {:?} includes the fake's delay",
        times[0]
    );
    assert!(times[0] < Duration::from_secs(2), "TTFT {:?}", times[0]);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some("Bearer test-key"));
    let body = requests[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "fake-model");
    assert_eq!(body["messages"][0]["content"], "Hello");
}

#[tokio::test]
async fn retries_through_two_server_errors() {
    let fake = start(ChatScript {
        fail_first: 2,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let llm = client(fake.base_url(), Duration::from_secs(2));
    let (text, _) = tokio::time::timeout(BOUND, async {
        collect(
            llm.reply(&question())
                .await
                .expect("third attempt succeeds"),
        )
        .await
    })
    .await
    .expect("bounded");
    assert_eq!(text, "Tell me about a project you are proud of.");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn gives_up_with_a_typed_error_after_the_last_attempt() {
    let fake = start(ChatScript {
        fail_first: 5,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let llm = client(fake.base_url(), Duration::from_secs(2));
    let result = tokio::time::timeout(BOUND, llm.reply(&question()))
        .await
        .expect("bounded");
    assert!(
        matches!(result, Err(ProviderError::Status { status: 500 })),
        "{:?}",
        result.err()
    );
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let fake = start(ChatScript {
        rate_limit_first: 1,
        retry_after_secs: 1,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let llm = client(fake.base_url(), Duration::from_secs(2));
    let started = Instant::now();
    let (text, _) = tokio::time::timeout(BOUND, async {
        collect(
            llm.reply(&question())
                .await
                .expect("second attempt succeeds"),
        )
        .await
    })
    .await
    .expect("bounded");
    assert!(!text.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_hanging_server_is_a_first_token_timeout() {
    let fake = start(ChatScript {
        hang: true,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let mut llm = client(fake.base_url(), Duration::from_millis(200));
    llm = OpenAiChat::new(OpenAiChatConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..llm.config().clone()
    })
    .expect("client");
    let result = tokio::time::timeout(BOUND, llm.reply(&question()))
        .await
        .expect("bounded");
    assert!(
        matches!(result, Err(ProviderError::FirstByteTimeout(_))),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn scripted_responder_asks_questions_in_order() {
    let llm = Scripted::new(vec!["First question?".into(), "Second question?".into()]);
    let (a, _) = collect(llm.reply(&question()).await.expect("reply")).await;
    let (b, _) = collect(llm.reply(&question()).await.expect("reply")).await;
    let (c, _) = collect(llm.reply(&question()).await.expect("reply")).await;
    assert_eq!(a, "First question?");
    assert_eq!(b, "Second question?");
    assert!(c.contains("Thank you"), "{c}");
}

#[tokio::test]
async fn a_dead_primary_hands_the_reply_to_the_fallback() {
    let primary = start(ChatScript {
        fail_first: 1000,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let backup = start(ChatScript {
        replies: vec!["Let us talk about your last project.".into()],
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let llm = Fallback {
        primary: client(primary.base_url(), Duration::from_secs(2)),
        fallback: client(backup.base_url(), Duration::from_secs(2)),
    };
    let (text, _) = tokio::time::timeout(BOUND, async {
        collect(llm.reply(&question()).await.expect("the fallback answers")).await
    })
    .await
    .expect("bounded");
    assert_eq!(text, "Let us talk about your last project.");
    assert_eq!(
        primary.requests().len(),
        3,
        "the primary's retries ran first"
    );
    assert_eq!(backup.requests().len(), 1);
    let sent = backup.requests()[0].json();
    assert_eq!(sent["messages"][0]["content"], "Hello");
}
