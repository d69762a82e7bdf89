// The microphone level shown by the device check: RMS of one analyser window on a
// decibel scale, mapped to 0..1 so quiet speech still moves the meter.

/** The quietest level the meter shows, dBFS. */
const FLOOR_DBFS = -60;

/** The level above which the page says it can hear the candidate. */
export const HEARD_THRESHOLD = 0.2;

/** RMS of `samples` in dBFS (-Infinity for silence). */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const s = samples[i] ?? 0;
    sum += s * s;
  }
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

/** A dBFS value on the meter's 0..1 scale. */
export function meterLevel(dbfs: number): number {
  if (!Number.isFinite(dbfs)) return 0;
  return Math.min(1, Math.max(0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS));
}
