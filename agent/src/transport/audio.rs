//! PCM frames exchanged with the transport: 48 kHz mono, 20 ms, 16-bit.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sample rate of every frame the transport takes or gives.
pub const SAMPLE_RATE: u32 = 48_000;
/// Duration of one frame.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// Samples in one 20 ms mono frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 960;

/// One 20 ms frame of decoded audio from a remote participant's track.
#[derive(Debug, Clone)]
pub struct AudioFrame {
    /// Identity of the participant who published the track.
    pub identity: Arc<str>,
    /// The track's sid (`TR_…`).
    pub track_sid: Arc<str>,
    /// Position of the frame's first sample in the track's media timeline (gaps the sender
    /// left with DTX or loss are filled, so this advances by 20 ms per frame).
    pub media_time: Duration,
    /// When the frame was decoded.
    pub received_at: Instant,
    /// [`FRAME_SAMPLES`] samples of 48 kHz mono PCM.
    pub samples: Box<[i16]>,
}
