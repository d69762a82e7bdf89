// The candidate's delivery over time with uPlot: level (dBFS), pitch (F0, Hz) and syllable
// rate, one point per second of their audio. Loaded only on the interview page.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TimelinePoint } from '../types';

const HEIGHT = 260;

/** Draws `points` into `host` and keeps the chart as wide as the host; returns a disposer. */
export function drawTimeline(host: HTMLElement, points: TimelinePoint[]): () => void {
  const data: uPlot.AlignedData = [
    points.map((p) => p.time),
    points.map((p) => p.level_dbfs),
    points.map((p) => p.f0_hz),
    points.map((p) => p.syllables_per_second),
  ];
  const width = (): number => Math.max(280, Math.floor(host.clientWidth || 600));
  const options: uPlot.Options = {
    width: width(),
    height: HEIGHT,
    scales: {
      x: { time: false },
      db: { range: [-80, 0] },
      hz: { auto: true },
      rate: { range: [0, 10] },
    },
    axes: [
      { label: 'Seconds', stroke: '#3d4653', grid: { stroke: '#e3e7ec' } },
      { scale: 'db', label: 'Level (dBFS)', stroke: '#1d5c8a', grid: { stroke: '#e3e7ec' } },
      { scale: 'hz', label: 'Pitch (Hz)', side: 1, stroke: '#8a3b12', grid: { show: false } },
    ],
    series: [
      { label: 'Time (s)' },
      { label: 'Level (dBFS)', scale: 'db', stroke: '#1d5c8a', width: 1.5 },
      { label: 'Pitch F0 (Hz)', scale: 'hz', stroke: '#8a3b12', width: 1.5, spanGaps: false },
      { label: 'Syllables per second', scale: 'rate', stroke: '#2f6b3a', width: 1.5, dash: [6, 4] },
    ],
    legend: { live: true },
  };
  const chart = new uPlot(options, data, host);
  const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: HEIGHT }));
  observer.observe(host);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}
