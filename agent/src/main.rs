//! The interviewer worker binary: thin subcommands over the `agent` library.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "agent", about = "The AI interviewer agent")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Join a LiveKit room: play a WAV as the agent's voice, record what it hears.
    Join(agent::join::JoinArgs),
    /// Serve as a LiveKit worker: register, accept dispatched interviews, drain on SIGTERM.
    Worker(Box<agent::worker::cli::WorkerArgs>),
    /// Join a room with a token and hold a voice interview with whoever is there.
    Interview(Box<agent::session::interview::InterviewArgs>),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| {
                    "info,webrtc=error,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_sctp=error,rtc_srtp=error".into()
                }),
        )
        .with_writer(std::io::stderr)
        .init();
    let command = Cli::parse().command;
    agent::runtime()?.block_on(async move {
        match command {
            Command::Join(args) => agent::join::run(args).await,
            Command::Worker(args) => agent::worker::cli::run(*args).await,
            Command::Interview(args) => agent::session::interview::run(*args).await,
        }
    })
}
