//! The agent joins a real livekit-server and speaks without the WebRTC stack warning: no RTP
//! is written before the publisher's DTLS handshake has keyed SRTP (it used to log
//! "local_srtp_context is not set yet" for every frame of its first ~100 ms), no server
//! connectivity check arrives before the publisher can verify it ("password is empty": our
//! candidates now wait for the server's answer), and nothing else from the stack warns on a
//! clean join, seven seconds of speech and a leave.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use common::{Agent, drained, push_wav, tremolo_tone};
use tests::pyclient::{ClientOptions, PyClient};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Every WARN or ERROR event from the WebRTC crates, as "target: message".
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

/// An event's message and, for records bridged from the `log` crate (which the WebRTC
/// crates use), the target they were logged under.
#[derive(Default)]
struct Message {
    text: String,
    log_target: Option<String>,
}

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.text = value.to_owned(),
            "log.target" => self.log_target = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.text = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > tracing::Level::WARN {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let target = message.log_target.as_deref().unwrap_or(meta.target());
        let webrtc = ["rtc", "webrtc"]
            .iter()
            .any(|c| target == *c || target.starts_with(&format!("{c}::")));
        if webrtc && let Ok(mut w) = self.0.lock() {
            w.push(format!("{target}: {}", message.text));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_and_speaking_draws_no_warning_from_the_webrtc_stack() -> Result<()> {
    let warnings = Warnings::default();
    // `try_init` also bridges the `log` records the WebRTC crates emit into tracing.
    tracing_subscriber::registry()
        .with(warnings.clone())
        .try_init()?;
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "warnings-room";
    let mut client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", room)?,
        ClientOptions::default(),
    )
    .await?;
    let agent = Agent::join(&server, room, "agent").await?;
    client
        .wait_for(Duration::from_secs(20), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;
    let tone = tremolo_tone(dir.path(), "tone", 7.0)?;
    push_wav(&agent.handle, &tone)?;
    drained(&agent.handle, Duration::from_secs(20)).await?;
    client.leave().await?;
    agent.leave().await?;
    let seen = warnings.0.lock().map(|w| w.clone()).unwrap_or_default();
    assert!(seen.is_empty(), "the WebRTC stack warned: {seen:#?}");
    Ok(())
}
