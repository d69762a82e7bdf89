//! Who is in the room: applies `ParticipantInfo` updates and reports what changed.

use std::collections::HashMap;

use livekit_protocol as proto;

/// A change the session turns into room events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RosterChange {
    Joined {
        identity: String,
        attributes: HashMap<String, String>,
    },
    Left {
        identity: String,
    },
    Attributes {
        identity: String,
        attributes: HashMap<String, String>,
    },
    TrackRemoved {
        identity: String,
        track_sid: String,
    },
    TrackMuted {
        identity: String,
        track_sid: String,
        muted: bool,
    },
}

struct Participant {
    identity: String,
    version: u32,
    attributes: HashMap<String, String>,
    tracks: HashMap<String, bool>,
}

/// The participants of one session, keyed by sid (ours included).
pub(crate) struct Roster {
    local_sid: String,
    participants: HashMap<String, Participant>,
}

impl Roster {
    pub(crate) fn new(local: &proto::ParticipantInfo) -> Self {
        let mut roster = Self {
            local_sid: local.sid.clone(),
            participants: HashMap::new(),
        };
        roster
            .participants
            .insert(local.sid.clone(), participant(local));
        roster
    }

    /// The identity of participant `sid`, if known.
    pub(crate) fn identity(&self, sid: &str) -> Option<&str> {
        self.participants.get(sid).map(|p| p.identity.as_str())
    }

    /// Identities of every remote participant.
    pub(crate) fn remote_identities(&self) -> Vec<String> {
        self.participants
            .iter()
            .filter(|(sid, _)| **sid != self.local_sid)
            .map(|(_, p)| p.identity.clone())
            .collect()
    }

    /// Applies participant infos (from the JoinResponse or an update).
    pub(crate) fn apply(&mut self, infos: &[proto::ParticipantInfo]) -> Vec<RosterChange> {
        let mut out = Vec::new();
        for info in infos {
            let disconnected = info.state == proto::participant_info::State::Disconnected as i32;
            let Some(known) = self.participants.get_mut(&info.sid) else {
                if !disconnected && info.sid != self.local_sid {
                    out.push(RosterChange::Joined {
                        identity: info.identity.clone(),
                        attributes: info.attributes.clone(),
                    });
                    self.participants
                        .insert(info.sid.clone(), participant(info));
                }
                continue;
            };
            if info.version != 0 && info.version < known.version {
                continue; // stale update
            }
            if disconnected {
                if info.sid == self.local_sid {
                    continue;
                }
                if let Some(gone) = self.participants.remove(&info.sid) {
                    for track_sid in gone.tracks.into_keys() {
                        out.push(RosterChange::TrackRemoved {
                            identity: gone.identity.clone(),
                            track_sid,
                        });
                    }
                    out.push(RosterChange::Left {
                        identity: gone.identity,
                    });
                }
                continue;
            }
            known.version = info.version;
            if known.attributes != info.attributes {
                known.attributes = info.attributes.clone();
                out.push(RosterChange::Attributes {
                    identity: known.identity.clone(),
                    attributes: known.attributes.clone(),
                });
            }
            let now: HashMap<String, bool> = info
                .tracks
                .iter()
                .map(|t| (t.sid.clone(), t.muted))
                .collect();
            for (sid, muted) in &known.tracks {
                match now.get(sid) {
                    None => out.push(RosterChange::TrackRemoved {
                        identity: known.identity.clone(),
                        track_sid: sid.clone(),
                    }),
                    Some(m) if m != muted => out.push(RosterChange::TrackMuted {
                        identity: known.identity.clone(),
                        track_sid: sid.clone(),
                        muted: *m,
                    }),
                    Some(_) => {}
                }
            }
            known.tracks = now;
        }
        out
    }
}

fn participant(info: &proto::ParticipantInfo) -> Participant {
    Participant {
        identity: info.identity.clone(),
        version: info.version,
        attributes: info.attributes.clone(),
        tracks: info
            .tracks
            .iter()
            .map(|t| (t.sid.clone(), t.muted))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        sid: &str,
        identity: &str,
        version: u32,
        tracks: &[(&str, bool)],
    ) -> proto::ParticipantInfo {
        proto::ParticipantInfo {
            sid: sid.into(),
            identity: identity.into(),
            version,
            state: proto::participant_info::State::Active as i32,
            tracks: tracks
                .iter()
                .map(|(sid, muted)| proto::TrackInfo {
                    sid: (*sid).into(),
                    muted: *muted,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn join_mute_unpublish_and_leave_are_reported_once() {
        let mut roster = Roster::new(&info("PA_me", "agent", 1, &[]));
        let joined = roster.apply(&[info("PA_c", "cand", 1, &[("TR_1", false)])]);
        assert!(
            matches!(&joined[..], [RosterChange::Joined { identity, .. }] if identity == "cand")
        );
        assert_eq!(roster.identity("PA_c"), Some("cand"));
        let muted = roster.apply(&[info("PA_c", "cand", 2, &[("TR_1", true)])]);
        assert!(matches!(
            &muted[..],
            [RosterChange::TrackMuted { muted: true, .. }]
        ));
        assert!(
            roster.apply(&[info("PA_c", "cand", 1, &[])]).is_empty(),
            "stale"
        );
        let removed = roster.apply(&[info("PA_c", "cand", 3, &[])]);
        assert!(
            matches!(&removed[..], [RosterChange::TrackRemoved { track_sid, .. }] if track_sid == "TR_1")
        );
        let mut gone = info("PA_c", "cand", 4, &[]);
        gone.state = proto::participant_info::State::Disconnected as i32;
        let left = roster.apply(&[gone]);
        assert!(matches!(&left[..], [RosterChange::Left { identity }] if identity == "cand"));
        assert!(roster.remote_identities().is_empty());
    }
}
