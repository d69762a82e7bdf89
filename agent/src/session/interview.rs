//! `agent interview`: joins a room with a token and holds a voice interview with whoever
//! is there, so a human can talk to the agent; prints the conversation and turn latencies.

use anyhow::{Context, Result};
use tokio::sync::watch;

use super::{Hooks, VoiceArgs, VoiceConfig};
use crate::transport::{ConnectOptions, LiveKitRoom, RoomTransport};

/// Arguments of `agent interview`.
#[derive(Debug, clap::Args)]
pub struct InterviewArgs {
    /// Server URL, for example ws://127.0.0.1:7880.
    #[arg(long, env = "LIVEKIT_URL")]
    pub url: String,
    /// Participant token of the agent.
    #[arg(long, env = "LIVEKIT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Bind ICE to 127.0.0.1 and ignore the server's ICE servers (a local dev server).
    #[arg(long)]
    pub loopback: bool,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

/// Runs the command until the interview ends, the room closes or ctrl-c.
pub async fn run(args: InterviewArgs) -> Result<()> {
    let config = VoiceConfig::from_args(&args.voice).context("configuring the providers")?;
    let mut options = ConnectOptions::new(&args.url, &args.token);
    options.loopback_only = args.loopback;
    options.ignore_ice_servers = args.loopback;
    let mut room = LiveKitRoom::connect(options)
        .await
        .context("joining the room")?;
    let (cancel_tx, cancel) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = cancel_tx.send(true);
        }
    });
    let result = super::run(&mut room, config, Hooks::default(), cancel).await;
    room.leave().await;
    let report = result?;
    for m in &report.history {
        let who = match m.role {
            conversation::Role::Agent => "agent",
            conversation::Role::Candidate => "candidate",
        };
        let cut = if m.interrupted { " (interrupted)" } else { "" };
        println!("{who}{cut}: {}", m.text);
    }
    for t in &report.turns {
        println!(
            "turn {}: end of turn {:?}, STT final {:?}, LLM first token {:?}, TTS first byte {:?}, end of speech to agent audio {:?}",
            t.turn, t.end_of_turn_delay, t.stt_final_delay, t.llm_ttft, t.tts_ttfb, t.end_to_end
        );
    }
    Ok(())
}
