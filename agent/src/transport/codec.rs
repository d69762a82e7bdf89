//! Opus encoder and decoder for 48 kHz mono 20 ms frames, with buffers allocated once.

use super::audio::{FRAME_SAMPLES, SAMPLE_RATE};
use super::error::TransportError;

/// Largest Opus packet we produce (RFC 6716 allows 1275 bytes per frame).
const MAX_PACKET: usize = 1500;
/// Longest Opus packet duration: 120 ms at 48 kHz.
const MAX_DECODED: usize = 5760;

/// Encodes 20 ms mono frames.
pub(crate) struct OpusEncoder {
    encoder: opus::Encoder,
    packet: Vec<u8>,
}

impl OpusEncoder {
    pub(crate) fn new() -> Result<Self, TransportError> {
        let mut encoder =
            opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)?;
        encoder.set_inband_fec(true)?;
        encoder.set_bitrate(opus::Bitrate::Bits(32_000))?;
        Ok(Self {
            encoder,
            packet: vec![0; MAX_PACKET],
        })
    }

    /// Encodes one frame of [`FRAME_SAMPLES`] samples.
    pub(crate) fn encode(&mut self, pcm: &[i16]) -> Result<&[u8], TransportError> {
        if pcm.len() != FRAME_SAMPLES {
            return Err(TransportError::FrameSize {
                expected: FRAME_SAMPLES,
                got: pcm.len(),
            });
        }
        let n = self.encoder.encode(pcm, &mut self.packet)?;
        Ok(&self.packet[..n])
    }

    /// Forgets the audio encoded so far, as at the start of a stream.
    pub(crate) fn reset(&mut self) -> Result<(), TransportError> {
        Ok(self.encoder.reset_state()?)
    }

    /// The packet this encoder settles on for digital silence (encoded once, by a fresh
    /// encoder of the same settings, so sending it costs nothing per frame).
    pub(crate) fn silence_packet() -> Result<Vec<u8>, TransportError> {
        let mut encoder = Self::new()?;
        let silence = [0i16; FRAME_SAMPLES];
        let mut packet = Vec::new();
        // The first packets still carry the encoder's start-up; the third is the steady one.
        for _ in 0..3 {
            packet = encoder.encode(&silence)?.to_vec();
        }
        Ok(packet)
    }
}

/// Decodes Opus packets of any duration into mono PCM.
pub(crate) struct OpusDecoder {
    decoder: opus::Decoder,
    pcm: Vec<i16>,
}

impl OpusDecoder {
    pub(crate) fn new() -> Result<Self, TransportError> {
        Ok(Self {
            decoder: opus::Decoder::new(SAMPLE_RATE, opus::Channels::Mono)?,
            pcm: vec![0; MAX_DECODED],
        })
    }

    /// Decodes one packet (stereo streams are downmixed by libopus).
    pub(crate) fn decode(&mut self, packet: &[u8]) -> Result<&[i16], TransportError> {
        let n = self.decoder.decode(packet, &mut self.pcm, false)?;
        Ok(&self.pcm[..n])
    }

    /// Synthesizes one 20 ms frame in place of a lost packet.
    pub(crate) fn conceal(&mut self) -> Result<&[i16], TransportError> {
        let n = self
            .decoder
            .decode(&[], &mut self.pcm[..FRAME_SAMPLES], false)?;
        Ok(&self.pcm[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_survives_encode_and_decode() {
        let mut enc = OpusEncoder::new().expect("encoder");
        let mut dec = OpusDecoder::new().expect("decoder");
        let mut energy_out = 0.0f64;
        for f in 0..20 {
            let frame: Vec<i16> = (0..FRAME_SAMPLES)
                .map(|i| {
                    let t = (f * FRAME_SAMPLES + i) as f64 / f64::from(SAMPLE_RATE);
                    ((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16
                })
                .collect();
            let packet = enc.encode(&frame).expect("encode").to_vec();
            let pcm = dec.decode(&packet).expect("decode");
            assert_eq!(pcm.len(), FRAME_SAMPLES);
            if f > 5 {
                energy_out += pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
            }
        }
        let rms = (energy_out / (14 * FRAME_SAMPLES) as f64).sqrt();
        assert!((4000.0..7500.0).contains(&rms), "rms {rms}");
        assert!(matches!(
            enc.encode(&[0; 100]),
            Err(TransportError::FrameSize { .. })
        ));
        assert!(dec.decode(&[0xff, 0xff, 0xff]).is_err() || dec.conceal().is_ok());
    }

    fn tone(frame: usize) -> Vec<i16> {
        (0..FRAME_SAMPLES)
            .map(|i| {
                let t = (frame * FRAME_SAMPLES + i) as f64 / f64::from(SAMPLE_RATE);
                ((t * 300.0 * std::f64::consts::TAU).sin() * 8000.0) as i16
            })
            .collect()
    }

    fn rms(pcm: &[i16]) -> f64 {
        (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt()
    }

    #[test]
    fn the_cached_silence_packet_decodes_to_silence_between_speech() {
        let silence = OpusEncoder::silence_packet().expect("silence packet");
        assert!(
            !silence.is_empty() && silence.len() < 64,
            "{} bytes",
            silence.len()
        );
        let mut enc = OpusEncoder::new().expect("encoder");
        let mut dec = OpusDecoder::new().expect("decoder");
        // Speech, the encoder's own quiet tail, cached silence, then speech from a reset
        // encoder: the listener hears the tone, then silence, then the tone again.
        for f in 0..20 {
            let packet = enc.encode(&tone(f)).expect("encode").to_vec();
            dec.decode(&packet).expect("decode");
        }
        for _ in 0..10 {
            let packet = enc.encode(&[0; FRAME_SAMPLES]).expect("encode").to_vec();
            dec.decode(&packet).expect("decode");
        }
        for _ in 0..20 {
            let pcm = dec.decode(&silence).expect("decode silence");
            assert_eq!(pcm.len(), FRAME_SAMPLES);
            assert!(rms(pcm) < 1.0, "silence decodes to rms {}", rms(pcm));
        }
        enc.reset().expect("reset");
        let mut after = Vec::new();
        for f in 0..20 {
            let packet = enc.encode(&tone(f)).expect("encode").to_vec();
            after.push(rms(dec.decode(&packet).expect("decode")));
        }
        let steady = after[5..].iter().sum::<f64>() / 15.0;
        assert!(
            (4000.0..7500.0).contains(&steady),
            "rms after silence {steady}"
        );
        // No burst at the restart: no frame far louder than the steady tone.
        assert!(after.iter().all(|&r| r < steady * 1.5), "{after:?}");
    }
}
