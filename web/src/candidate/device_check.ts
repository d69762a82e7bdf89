// Step 3: the microphone check. Asks for the microphone, lists the inputs, shows a live
// level (WebAudio RMS about ten times a second) and enables Join once a stream exists.
import { h, replace } from '../ui';
import { HEARD_THRESHOLD, meterLevel, rmsDbfs } from './level';

/** How often the meter is updated, milliseconds. */
const METER_INTERVAL_MS = 100;

export interface DeviceCheckOptions {
  /** Called with the chosen input when the candidate presses Join; resolves or rejects. */
  join: (deviceId: string | undefined) => Promise<void>;
}

export class DeviceCheck {
  readonly element: HTMLElement;
  private stream: MediaStream | null = null;
  private audio: AudioContext | null = null;
  private timer: number | null = null;
  private heard = false;
  private disposed = false;
  private readonly select: HTMLSelectElement;
  private readonly meter: HTMLDivElement;
  private readonly meterBar: HTMLDivElement;
  private readonly micOk: HTMLParagraphElement;
  private readonly status: HTMLParagraphElement;
  private readonly denied: HTMLDivElement;
  private readonly joinButton: HTMLButtonElement;
  private readonly joinError: HTMLParagraphElement;
  private readonly resumeButton: HTMLButtonElement;
  private readonly onDeviceChange = (): void => {
    void this.listDevices();
  };

  constructor(private readonly options: DeviceCheckOptions) {
    this.select = h('select', { id: 'mic-select', testid: 'mic-select', disabled: true });
    this.select.addEventListener('change', () => {
      void this.open(this.select.value || undefined);
    });
    this.meterBar = h('div', { class: 'meter-bar' });
    this.meter = h(
      'div',
      {
        class: 'meter',
        role: 'meter',
        testid: 'level-meter',
        'aria-labelledby': 'level-label',
        'aria-valuemin': 0,
        'aria-valuemax': 1,
        'aria-valuenow': 0,
        'data-level': '0',
      },
      this.meterBar,
    );
    this.micOk = h(
      'p',
      { class: 'ok', testid: 'mic-ok', hidden: true },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      'We can hear you',
    );
    this.status = h('p', { class: 'muted', role: 'status' });
    this.denied = h('div', { class: 'notice warning', testid: 'mic-denied', role: 'alert', hidden: true });
    this.joinButton = h(
      'button',
      { type: 'button', class: 'primary', testid: 'join-button', disabled: true },
      'Join the interview',
    );
    this.joinButton.addEventListener('click', () => void this.join());
    this.joinError = h('p', { class: 'error', role: 'alert' });
    this.resumeButton = h(
      'button',
      { type: 'button', class: 'secondary', hidden: true },
      'Start the level meter',
    );
    this.resumeButton.addEventListener('click', () => void this.audio?.resume());

    this.element = h(
      'section',
      { class: 'card', testid: 'device-check', 'aria-labelledby': 'device-title' },
      h('h1', { id: 'device-title' }, 'Check your microphone'),
      h(
        'p',
        {},
        'The interview is a spoken conversation. Choose your microphone and say a few words: ' +
          'the bar below should move.',
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'mic-select' }, 'Microphone'),
        this.select,
      ),
      h('div', { class: 'field' }, h('span', { id: 'level-label', class: 'label' }, 'Microphone level'), this.meter),
      this.resumeButton,
      this.micOk,
      this.status,
      this.denied,
      h('div', { class: 'actions' }, this.joinButton),
      this.joinError,
      h(
        'p',
        { class: 'hint' },
        'Use headphones if you can, and find a quiet place. You can mute yourself or leave at any time.',
      ),
    );
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
  }

  /** Asks for the microphone (the first time, the browser asks the candidate). */
  async start(): Promise<void> {
    await this.open(undefined);
  }

  /** Stops the check's stream and meter; the room opens its own microphone track. */
  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    void this.audio?.close().catch(() => undefined);
    this.audio = null;
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
  }

  private async open(deviceId: string | undefined): Promise<void> {
    this.stop();
    this.joinButton.disabled = true;
    this.denied.hidden = true;
    this.status.textContent = 'Asking for your microphone…';
    if (!navigator.mediaDevices?.getUserMedia) {
      this.showDenied('unsupported');
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      });
    } catch (err) {
      const name = err instanceof DOMException ? err.name : '';
      if (name === 'NotAllowedError' || name === 'SecurityError') this.showDenied('denied');
      else if (name === 'NotFoundError' || name === 'OverconstrainedError') this.showDenied('missing');
      else this.showDenied('busy');
      return;
    }
    if (this.disposed) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.stream = stream;
    this.status.textContent = 'Microphone on.';
    this.joinButton.disabled = false;
    await this.listDevices();
    this.startMeter(stream);
  }

  private async listDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter(
      (d) => d.kind === 'audioinput',
    );
    const current = this.stream?.getAudioTracks()[0]?.getSettings().deviceId;
    replace(
      this.select,
      ...devices.map((d, i) =>
        h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || `Microphone ${i + 1}`),
      ),
    );
    if (current && devices.some((d) => d.deviceId === current)) this.select.value = current;
    this.select.disabled = devices.length === 0;
  }

  private startMeter(stream: MediaStream): void {
    const audio = new AudioContext();
    this.audio = audio;
    const analyser = audio.createAnalyser();
    analyser.fftSize = 2048;
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const showResume = (): void => {
      this.resumeButton.hidden = audio.state !== 'suspended';
    };
    audio.addEventListener('statechange', showResume);
    if (audio.state === 'suspended') void audio.resume().finally(showResume);
    this.timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      this.showLevel(meterLevel(rmsDbfs(samples)));
    }, METER_INTERVAL_MS);
  }

  private showLevel(level: number): void {
    const rounded = Math.round(level * 100) / 100;
    this.meter.dataset['level'] = rounded.toFixed(2);
    this.meter.setAttribute('aria-valuenow', rounded.toFixed(2));
    this.meter.setAttribute('aria-valuetext', `${Math.round(level * 100)} percent`);
    this.meterBar.style.transform = `scaleX(${rounded})`;
    if (!this.heard && level > HEARD_THRESHOLD) {
      this.heard = true;
      this.micOk.hidden = false;
    }
  }

  private showDenied(why: 'denied' | 'missing' | 'busy' | 'unsupported'): void {
    this.status.textContent = '';
    this.denied.dataset['reason'] = why;
    const retry = h('button', { type: 'button', class: 'primary' }, 'Try again');
    retry.addEventListener('click', () => void this.open(undefined));
    const title: Record<typeof why, string> = {
      denied: 'Your browser is blocking the microphone',
      missing: 'No microphone was found',
      busy: 'The microphone could not be started',
      unsupported: 'This browser cannot use a microphone here',
    };
    const steps: Record<typeof why, string[]> = {
      denied: [
        'Click the lock or settings icon at the left of the address bar.',
        'Find "Microphone" in the site settings and choose "Allow".',
        'Come back to this page and press "Try again" (you may need to reload).',
      ],
      missing: [
        'Plug in a headset or microphone, or turn on your computer\'s built-in one.',
        'Check that your system settings let the browser use it.',
        'Press "Try again".',
      ],
      busy: [
        'Close other apps that may be using the microphone (video calls, recorders).',
        'Press "Try again".',
      ],
      unsupported: [
        'Open this link in a recent version of Chrome, Edge, Firefox or Safari.',
        'Make sure the address starts with https://.',
      ],
    };
    replace(
      this.denied,
      h('h2', {}, title[why]),
      h('ol', {}, ...steps[why].map((s) => h('li', {}, s))),
      retry,
    );
    this.denied.hidden = false;
  }

  private async join(): Promise<void> {
    this.joinError.textContent = '';
    this.joinButton.disabled = true;
    this.joinButton.setAttribute('aria-busy', 'true');
    this.joinButton.textContent = 'Joining…';
    try {
      await this.options.join(this.select.value || undefined);
    } catch (err) {
      this.joinError.textContent = err instanceof Error ? err.message : 'Could not join.';
      this.joinButton.disabled = this.stream === null;
    } finally {
      this.joinButton.removeAttribute('aria-busy');
      this.joinButton.textContent = 'Join the interview';
    }
  }

  /** The stream the check holds, if any. */
  get hasStream(): boolean {
    return this.stream !== null;
  }
}
