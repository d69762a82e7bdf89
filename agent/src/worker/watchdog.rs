//! Crash detection across the fleet. Every running job beats: it bumps its agent's
//! [`HEARTBEAT_ATTRIBUTE`] once a second. Every worker also watches the rooms (RoomService)
//! and removes an agent of its own agent name whose beat has not changed for `stale_after`:
//! its worker died (kill -9, OOM, a lost machine). Removing it makes the server report the
//! agent gone at once, instead of after ~20 s of ICE timeouts, and control-api's webhook
//! dispatches the interview again.
//!
//! **Invariant:** staleness is judged by when *this* watcher last saw the beat change, on its
//! own clock, so clock skew between machines cannot make an agent look dead. Agents without a
//! beat (other programs, older versions) are never removed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use livekit_api::services::room::RoomClient;
use livekit_protocol::ParticipantInfo;
use livekit_protocol::participant_info::Kind;

/// The attribute a job's agent bumps every [`BEAT_INTERVAL`].
pub const HEARTBEAT_ATTRIBUTE: &str = "interviewer.heartbeat";
/// How often a job beats.
pub const BEAT_INTERVAL: Duration = Duration::from_secs(1);
/// The attribute LiveKit sets on every agent participant.
const AGENT_NAME_ATTRIBUTE: &str = "lk.agent_name";

/// How the watchdog runs.
#[derive(Debug, Clone)]
pub struct WatchdogConfig {
    /// HTTP(S) base of the server's API.
    pub url: String,
    /// API key.
    pub api_key: String,
    /// API secret (never logged).
    pub api_secret: String,
    /// Only agents of this name are judged.
    pub agent_name: String,
    /// How often the rooms are scanned.
    pub interval: Duration,
    /// An agent whose beat did not change this long is dead.
    pub stale_after: Duration,
}

/// The sans-IO core: feed it each scan's participants, get back the dead agents.
#[derive(Debug, Default)]
pub struct Watchdog {
    /// (room, identity) -> (last beat seen, when it last changed, seen in the latest scan)
    seen: HashMap<(String, String), (String, Instant, bool)>,
}

impl Watchdog {
    /// Starts a scan.
    pub fn begin(&mut self) {
        for entry in self.seen.values_mut() {
            entry.2 = false;
        }
    }

    /// Observes one room's participants at `now`; returns the identities to remove.
    pub fn observe(
        &mut self,
        now: Instant,
        room: &str,
        participants: &[ParticipantInfo],
        agent_name: &str,
        stale_after: Duration,
    ) -> Vec<String> {
        let mut dead = Vec::new();
        for p in participants {
            if p.kind() != Kind::Agent
                || p.attributes.get(AGENT_NAME_ATTRIBUTE).map(String::as_str) != Some(agent_name)
            {
                continue;
            }
            let Some(beat) = p.attributes.get(HEARTBEAT_ATTRIBUTE) else {
                continue;
            };
            let key = (room.to_owned(), p.identity.clone());
            match self.seen.get_mut(&key) {
                Some(entry) if entry.0 == *beat => {
                    entry.2 = true;
                    if now.duration_since(entry.1) >= stale_after {
                        dead.push(p.identity.clone());
                    }
                }
                _ => {
                    self.seen.insert(key, (beat.clone(), now, true));
                }
            }
        }
        dead
    }

    /// Ends a scan: forgets agents that are gone.
    pub fn end(&mut self) {
        self.seen.retain(|_, entry| entry.2);
    }

    /// Forgets one agent (after removing it).
    pub fn forget(&mut self, room: &str, identity: &str) {
        self.seen.remove(&(room.to_owned(), identity.to_owned()));
    }
}

/// Scans forever (until the task is aborted).
pub async fn run(config: WatchdogConfig) {
    let client =
        RoomClient::with_api_key(&http_url(&config.url), &config.api_key, &config.api_secret)
            .with_request_timeout(Duration::from_secs(5));
    let mut watchdog = Watchdog::default();
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let rooms = match client.list_rooms(Vec::new()).await {
            Ok(rooms) => rooms,
            Err(e) => {
                tracing::debug!("watchdog: listing rooms failed: {e}");
                continue;
            }
        };
        watchdog.begin();
        for room in rooms.iter().filter(|r| r.num_participants > 0) {
            let Ok(participants) = client.list_participants(&room.name).await else {
                continue;
            };
            let dead = watchdog.observe(
                Instant::now(),
                &room.name,
                &participants,
                &config.agent_name,
                config.stale_after,
            );
            for identity in dead {
                tracing::warn!(room = %room.name, agent = %identity, "agent stopped beating: removing it so the interview is dispatched again");
                if let Err(e) = client.remove_participant(&room.name, &identity).await {
                    tracing::debug!("watchdog: removing {identity} failed: {e}");
                }
                watchdog.forget(&room.name, &identity);
            }
        }
        watchdog.end();
    }
}

/// `ws://` → `http://`, `wss://` → `https://`.
fn http_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(identity: &str, name: &str, beat: Option<&str>) -> ParticipantInfo {
        let mut p = ParticipantInfo {
            identity: identity.to_owned(),
            kind: Kind::Agent as i32,
            ..Default::default()
        };
        p.attributes
            .insert(AGENT_NAME_ATTRIBUTE.to_owned(), name.to_owned());
        if let Some(beat) = beat {
            p.attributes
                .insert(HEARTBEAT_ATTRIBUTE.to_owned(), beat.to_owned());
        }
        p
    }

    #[test]
    fn only_a_silent_beating_agent_of_our_name_is_dead() {
        let stale = Duration::from_secs(4);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut w = Watchdog::default();
        let scan = |w: &mut Watchdog, now: Instant, beat: &str| {
            w.begin();
            let ps = [
                agent("agent-1", "interviewer", Some(beat)),
                agent("agent-2", "interviewer", Some("7")),
                agent("agent-3", "interviewer", None),
                agent("agent-4", "other", Some("1")),
                ParticipantInfo {
                    identity: "candidate".into(),
                    ..Default::default()
                },
            ];
            let dead = w.observe(now, "room", &ps, "interviewer", stale);
            w.end();
            dead
        };
        assert!(scan(&mut w, at(0), "1").is_empty());
        assert!(scan(&mut w, at(3), "2").is_empty());
        // agent-2 has not beaten since 0 s; agent-1 beat at 3 s.
        assert_eq!(scan(&mut w, at(5), "2"), ["agent-2"]);
        assert_eq!(scan(&mut w, at(7), "2"), ["agent-1", "agent-2"]);
        w.forget("room", "agent-1");
        assert_eq!(
            scan(&mut w, at(8), "2"),
            ["agent-2"],
            "forgotten: judged afresh"
        );
    }

    #[test]
    fn agents_that_left_are_forgotten() {
        let mut w = Watchdog::default();
        let now = Instant::now();
        w.begin();
        w.observe(now, "r", &[agent("a", "n", Some("1"))], "n", Duration::ZERO);
        w.end();
        w.begin();
        w.end();
        w.begin();
        let dead = w.observe(now, "r", &[agent("a", "n", Some("1"))], "n", Duration::ZERO);
        assert!(dead.is_empty(), "a returning agent starts afresh");
    }
}
