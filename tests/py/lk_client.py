"""A LiveKit participant driven over JSON lines, built on the official Python SDK.

Tests start it as a subprocess. It joins a room, then reads commands from stdin (one JSON
object per line) and prints events to stdout (one JSON object per line, each with an
"event" field and a wall-clock "t" in seconds). Logs go to stderr.

Commands:
  {"cmd": "publish"}                         start the microphone track (silence until played)
  {"cmd": "play", "path": "x.wav"}           queue a 48 kHz mono WAV on the microphone
  {"cmd": "send_data", "topic": t, "text": s, "reliable": true}
  {"cmd": "send_text", "topic": t, "text": s, "attributes": {...}}
  {"cmd": "set_attributes", "attributes": {...}}
  {"cmd": "record_more", "seconds": s}       emit "recorded" once s more seconds are recorded
  {"cmd": "watch_audio", "id": n, "state": "present"|"absent", "seconds": s, "level": l}
                                             emit "audio_present" once s seconds (in all) of
                                             recorded 10 ms frames had an RMS of at least l
                                             (full scale 1.0), or "audio_absent" once s seconds
                                             in a row had less; both carry the id and the
                                             recorded sample count
  {"cmd": "mic_stats"}                       emit "mic_stats" with the microphone's RTP packets
                                             and bytes sent so far (shows DTX at work)
  {"cmd": "leave"}                           disconnect, save the recording, exit

Recording (--record PATH): every remote audio track (or only --record-identity's) is written
to PATH as 48 kHz mono 16-bit; PATH + ".json" holds a timeline of (sample offset, wall clock)
pairs, one per frame, so tests can convert a sample position into a time. --echo-db mixes what is heard back
into the microphone at that gain, like a speakerphone.

Microphone DTX (--dtx on|off): whether the published track uses Opus discontinuous
transmission (`rtc.TrackPublishOptions(dtx=...)`). Without the option the field is left unset
and the SDK's native default applies, which is DTX on (livekit 1.2.1: the FFI takes an unset
`dtx` as the Rust SDK's `TrackPublishOptions::default()`, `dtx: true`), as in LiveKit's other
SDKs.
"""

import argparse
import asyncio
import json
import os
import sys
import time
import wave

import numpy as np
from livekit import rtc

RATE = 48000
FRAME = RATE // 100  # 10 ms


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = time.time()
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def log(msg):
    sys.stderr.write(f"[lk_client] {msg}\n")
    sys.stderr.flush()


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != RATE or w.getsampwidth() != 2:
            raise ValueError(f"{path}: need 48 kHz 16-bit, got {w.getframerate()} Hz {8 * w.getsampwidth()}-bit")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        channels = w.getnchannels()
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return data


class Microphone:
    """Feeds the published track one 10 ms frame at a time, like a real microphone."""

    def __init__(self, echo_gain, queue_ms):
        self.source = rtc.AudioSource(RATE, 1, queue_size_ms=queue_ms)
        self.queue = []  # (name, samples, offset)
        self.echo = np.zeros(0, dtype=np.float32)
        self.echo_gain = echo_gain

    def play(self, path):
        self.queue.append([path, read_wav(path), 0, False])

    def add_echo(self, samples):
        if self.echo_gain is not None:
            self.echo = np.concatenate([self.echo, samples.astype(np.float32) * self.echo_gain])[-RATE * 2 :]

    async def run(self):
        while True:
            frame = np.zeros(FRAME, dtype=np.float32)
            if self.queue:
                item = self.queue[0]
                name, data, offset, started = item
                if not started:
                    item[3] = True
                    # "queued": seconds of audio ahead of this in the source's queue.
                    emit("play_started", path=name, samples=int(len(data)),
                         queued=float(self.source.queued_duration))
                chunk = data[offset : offset + FRAME]
                frame[: len(chunk)] = chunk
                item[2] = offset + FRAME
                if item[2] >= len(data):
                    self.queue.pop(0)
                    emit("play_done", path=name)
            if len(self.echo) >= FRAME:
                frame += self.echo[:FRAME]
                self.echo = self.echo[FRAME:]
            pcm = np.clip(frame, -32768, 32767).astype(np.int16)
            out = rtc.AudioFrame.create(RATE, 1, FRAME)
            np.copyto(np.frombuffer(out.data, dtype=np.int16), pcm)
            await self.source.capture_frame(out)


class AudioWatch:
    """Waits for recorded audio to be present (s seconds in all at or above a level) or
    absent (s seconds in a row below it)."""

    def __init__(self, ident, state, seconds, level):
        self.ident = ident
        self.present = state == "present"
        self.seconds = seconds
        self.level = level
        self.count = 0.0

    def feed(self, level, seconds, samples):
        """Takes one frame's RMS and length; True (after emitting the event) once satisfied."""
        loud = level >= self.level
        if self.present and loud:
            self.count += seconds
        elif not self.present:
            self.count = 0.0 if loud else self.count + seconds
        if self.count + 1e-9 < self.seconds:
            return False
        emit("audio_present" if self.present else "audio_absent", id=self.ident, samples=int(samples))
        return True


class Recorder:
    def __init__(self, path):
        self.path = path
        self.chunks = []
        self.samples = 0
        self.timeline = []
        self.waiters = []  # (sample count, future)
        self.watchers = []  # AudioWatch

    def add(self, samples):
        # Every frame is stamped when this loop takes it; a lagging loop stamps late, so
        # readers take the earliest time consistent with the later stamps.
        self.timeline.append([self.samples, round(time.time(), 4)])
        self.chunks.append(samples.copy())
        self.samples += len(samples)
        due = [w for w in self.waiters if w[0] <= self.samples]
        self.waiters = [w for w in self.waiters if w[0] > self.samples]
        for _, fut in due:
            if not fut.done():
                fut.set_result(self.samples)
        if self.watchers:
            level = float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))
            seconds = len(samples) / RATE
            self.watchers = [w for w in self.watchers if not w.feed(level, seconds, self.samples)]

    def watch(self, ident, state, seconds, level):
        """Reports once the recorded audio has been present or absent for `seconds`."""
        if state not in ("present", "absent"):
            raise ValueError(f"watch_audio state must be present or absent, not {state!r}")
        self.watchers.append(AudioWatch(ident, state, float(seconds), float(level)))

    async def more(self, seconds):
        """Waits until `seconds` more audio than now has been recorded."""
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((self.samples + int(seconds * RATE), fut))
        samples = await fut
        emit("recorded", samples=int(samples))

    def save(self):
        data = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)
        with wave.open(self.path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(data.astype(np.int16).tobytes())
        with open(self.path + ".json", "w") as f:
            json.dump({"rate": RATE, "timeline": self.timeline}, f)
        emit("recording_saved", path=self.path, samples=int(len(data)))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--record")
    ap.add_argument("--record-identity")
    ap.add_argument("--echo-db", type=float)
    # Slack of the microphone queue: more survives a starved event loop, less keeps the
    # "play_started" events close to when the audio really leaves.
    ap.add_argument("--mic-queue-ms", type=int, default=100)
    # Opus DTX on the microphone track; unset leaves the SDK's default (on).
    ap.add_argument("--dtx", choices=("on", "off"))
    args = ap.parse_args()

    room = rtc.Room()
    recorder = Recorder(args.record) if args.record else None
    echo_gain = 10 ** (args.echo_db / 20) if args.echo_db is not None else None
    mic = Microphone(echo_gain, args.mic_queue_ms)
    tasks = set()
    consumers = {}  # track sid -> task feeding the recorder

    def spawn(coro):
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def consume(track, identity):
        stream = rtc.AudioStream(track, sample_rate=RATE, num_channels=1)
        first = True
        try:
            async for ev in stream:
                samples = np.frombuffer(ev.frame.data, dtype=np.int16)
                if first:
                    emit("first_audio", identity=identity, track_sid=track.sid)
                    first = False
                mic.add_echo(samples)
                if recorder is not None:
                    recorder.add(samples)
        finally:
            # Close the native stream from Python; leaving it to teardown can abort the
            # SDK's native audio thread ("panic in a function that cannot unwind").
            await stream.aclose()

    @room.on("participant_connected")
    def _pc(p):
        emit("participant_connected", identity=p.identity, attributes=dict(p.attributes))

    @room.on("participant_disconnected")
    def _pd(p):
        emit("participant_disconnected", identity=p.identity)

    @room.on("track_subscribed")
    def _ts(track, publication, participant):
        emit("track_subscribed", identity=participant.identity, track_sid=track.sid, kind=int(track.kind))
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            if args.record_identity is None or args.record_identity == participant.identity:
                task = asyncio.ensure_future(consume(track, participant.identity))
                tasks.add(task)
                consumers[track.sid] = task

                def done(t, sid=track.sid):
                    tasks.discard(t)
                    if consumers.get(sid) is t:
                        del consumers[sid]

                task.add_done_callback(done)

    @room.on("track_unsubscribed")
    def _tu(track, publication, participant):
        # An unsubscribed track must stop feeding the recording at once.
        task = consumers.pop(track.sid, None)
        if task is not None:
            task.cancel()
        emit("track_unsubscribed", identity=participant.identity, track_sid=track.sid)

    @room.on("participant_attributes_changed")
    def _ac(changed, participant):
        emit("attributes_changed", identity=participant.identity, changed=dict(changed),
             attributes=dict(participant.attributes))

    @room.on("data_received")
    def _dr(packet):
        identity = packet.participant.identity if packet.participant else None
        emit("data_received", identity=identity, topic=packet.topic,
             text=packet.data.decode("utf-8", errors="replace"))

    @room.on("disconnected")
    def _dc(reason):
        emit("disconnected", reason=str(reason))

    @room.on("reconnecting")
    def _rc():
        emit("reconnecting")

    @room.on("reconnected")
    def _rd():
        emit("reconnected")

    def on_text(reader, identity):
        async def read():
            text = await reader.read_all()
            info = reader.info
            emit("text_received", identity=identity, topic=info.topic, stream_id=info.stream_id,
                 text=text, attributes=dict(info.attributes or {}))
        spawn(read())

    room.register_text_stream_handler("lk.transcription", on_text)
    room.register_text_stream_handler("lk.chat", on_text)

    await room.connect(args.url, args.token, rtc.RoomOptions(auto_subscribe=True))
    emit("connected", identity=room.local_participant.identity, room=room.name,
         participants=[p.identity for p in room.remote_participants.values()])

    loop = asyncio.get_event_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    published = False
    while True:
        line = await reader.readline()
        if not line:
            break
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
            if name in ("publish", "play") and not published:
                track = rtc.LocalAudioTrack.create_audio_track("microphone", mic.source)
                opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
                if args.dtx is not None:
                    opts.dtx = args.dtx == "on"
                pub = await room.local_participant.publish_track(track, opts)
                published = True
                spawn(mic.run())
                emit("published", track_sid=pub.sid, dtx=args.dtx or "default")
            if name == "play":
                mic.play(cmd["path"])
            elif name == "send_data":
                await room.local_participant.publish_data(
                    cmd["text"], reliable=cmd.get("reliable", True), topic=cmd.get("topic", ""))
                emit("data_sent", topic=cmd.get("topic", ""))
            elif name == "send_text":
                info = await room.local_participant.send_text(
                    cmd["text"], topic=cmd.get("topic", ""), attributes=cmd.get("attributes"), compress=False)
                emit("text_sent", stream_id=info.stream_id)
            elif name == "set_attributes":
                await room.local_participant.set_attributes(cmd["attributes"])
                emit("attributes_set")
            elif name == "record_more":
                if recorder is None:
                    raise ValueError("record_more needs --record")
                spawn(recorder.more(float(cmd["seconds"])))
            elif name == "watch_audio":
                if recorder is None:
                    raise ValueError("watch_audio needs --record")
                recorder.watch(cmd["id"], cmd["state"], cmd["seconds"], cmd["level"])
            elif name == "mic_stats":
                if not published:
                    raise ValueError("mic_stats needs a published microphone")
                packets = sent_bytes = 0
                for stat in await track.get_stats():
                    if stat.WhichOneof("stats") == "outbound_rtp":
                        packets += stat.outbound_rtp.sent.packets_sent
                        sent_bytes += stat.outbound_rtp.sent.bytes_sent
                emit("mic_stats", packets_sent=packets, bytes_sent=sent_bytes)
            elif name == "leave":
                break
            elif name not in ("publish", "play"):
                emit("error", message=f"unknown command {name!r}")
        except Exception as e:  # report, keep serving
            emit("error", message=repr(e))

    # Orderly shutdown: stop our tasks (microphone, recorders), close the audio source, then
    # leave the room.
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await mic.source.aclose()
    await room.disconnect()
    if recorder is not None:
        recorder.save()
    emit("left")


if __name__ == "__main__":
    asyncio.run(main())
    # Everything is saved and reported. Leave without interpreter finalisation: the SDK's native
    # runtime can abort ("panic in a function that cannot unwind") while it is torn down at exit,
    # which would turn a finished session into a SIGABRT.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
