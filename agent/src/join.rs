//! `agent join`: joins a room with the transport, plays a WAV as the agent's voice and
//! records what it hears, so anyone can try the transport against any LiveKit client.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::transport::{
    AgentState, ConnectOptions, FRAME_SAMPLES, LiveKitRoom, RoomEvent, RoomTransport, SAMPLE_RATE,
};

/// Arguments of `agent join`.
#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// Server URL, for example ws://127.0.0.1:7880.
    #[arg(long, env = "LIVEKIT_URL")]
    pub url: String,
    /// Participant token.
    #[arg(long, env = "LIVEKIT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A 48 kHz WAV to speak once someone subscribes to the agent's track.
    #[arg(long)]
    pub play: Option<PathBuf>,
    /// Record what the agent hears (48 kHz mono) to this WAV.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Leave after this many seconds (default: when playback ends, or on Ctrl-C when recording).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Bind ICE to 127.0.0.1 and ignore the server's ICE servers (a local dev server).
    #[arg(long)]
    pub loopback: bool,
}

/// Runs the command.
pub async fn run(args: JoinArgs) -> Result<()> {
    let frames = match &args.play {
        Some(path) => read_frames(path)?,
        None => Vec::new(),
    };
    let mut options = ConnectOptions::new(&args.url, &args.token);
    options.loopback_only = args.loopback;
    options.ignore_ice_servers = args.loopback;
    let mut room = LiveKitRoom::connect(options)
        .await
        .context("joining the room")?;
    room.set_agent_state(AgentState::Listening)?;
    let mut recorder = match &args.record {
        Some(path) => Some(hound::WavWriter::create(
            path,
            hound::WavSpec {
                channels: 1,
                sample_rate: SAMPLE_RATE,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )?),
        None => None,
    };
    let limit = args
        .seconds
        .map(Duration::from_secs_f64)
        .unwrap_or_else(|| {
            if recorder.is_some() {
                Duration::MAX
            } else {
                Duration::from_millis(20 * frames.len() as u64 + 10_000)
            }
        });
    let deadline = tokio::time::Instant::now()
        .checked_add(limit)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365));
    let mut playing = false;
    let mut said_idle = frames.is_empty();
    loop {
        tokio::select! {
            event = room.next_event() => match event {
                Some(RoomEvent::Audio(frame)) => {
                    if let Some(w) = recorder.as_mut() {
                        for &s in frame.samples.iter() {
                            w.write_sample(s)?;
                        }
                    }
                }
                Some(RoomEvent::LocalTrackSubscribed { .. }) if !playing => {
                    // Speak once someone listens.
                    playing = true;
                    room.set_agent_state(AgentState::Speaking)?;
                    for frame in &frames {
                        room.push_audio(frame)?;
                    }
                }
                Some(RoomEvent::Disconnected { reason }) => bail!("disconnected: {reason}"),
                Some(other) => eprintln!("{other:?}"),
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
            _ = tokio::signal::ctrl_c() => break,
        }
        if playing && !said_idle && room.queued_audio() == 0 {
            said_idle = true;
            room.set_agent_state(AgentState::Listening)?;
        }
    }
    room.leave().await;
    if let Some(w) = recorder {
        w.finalize()?;
    }
    Ok(())
}

/// Reads a 48 kHz WAV as 20 ms mono frames (channels averaged, the last frame padded).
pub fn read_frames(path: &std::path::Path) -> Result<Vec<Vec<i16>>> {
    let mut reader =
        hound::WavReader::open(path).with_context(|| format!("opening {}", path.display()))?;
    let spec = reader.spec();
    if spec.sample_rate != SAMPLE_RATE || spec.bits_per_sample != 16 {
        bail!(
            "{}: need 48 kHz 16-bit PCM, got {} Hz {}-bit",
            path.display(),
            spec.sample_rate,
            spec.bits_per_sample
        );
    }
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<i16> = reader.samples::<i16>().collect::<Result<_, _>>()?;
    let mono: Vec<i16> = interleaved
        .chunks(channels)
        .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / c.len() as i32) as i16)
        .collect();
    Ok(mono
        .chunks(FRAME_SAMPLES)
        .map(|c| {
            let mut frame = c.to_vec();
            frame.resize(FRAME_SAMPLES, 0);
            frame
        })
        .collect())
}
