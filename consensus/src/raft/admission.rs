//! Which raft messages a node steps. The transport admits every node of
//! the channel (peers fetch blocks over it too), so the engine checks that
//! a message comes from a member of the raft group, names its real sender,
//! and cannot crash raft-rs: a heartbeat committing past the log is
//! `fatal!` inside raft-rs, and a term near `u64::MAX` overflows at the
//! next election. What is refused is counted and named in the status.

use raft::eraftpb::{ConfState, Message, MessageType};

use super::raft_id;

/// The furthest ahead of ours a message's term may be. An isolated node's
/// term grows by one per election timeout; four billion is years of that,
/// while a term of `u64::MAX` would overflow.
pub const MAX_TERM_JUMP: u64 = 1 << 32;

/// What to do with a message from the transport-authenticated node `from`.
#[derive(Debug)]
pub enum Verdict {
    /// Step it; `note` says what was mended in it (a refusal in part).
    Step {
        message: Message,
        note: Option<String>,
    },
    Refuse(String),
}

/// Whether `from`'s message `m` may reach raft-rs, given the group's
/// configuration, our term and our last log index.
pub fn admit(from: &str, mut m: Message, members: &ConfState, term: u64, last_index: u64) -> Verdict {
    let id = raft_id(from);
    if m.from != id {
        return Verdict::Refuse(format!("{from} sent a raft message claiming to be node {}", m.from));
    }
    // A node that joined with an empty log knows no configuration until
    // the leader's snapshot brings one: it has no one to refuse yet.
    let configured = !members.voters.is_empty();
    if configured && !is_member(members, id) {
        return Verdict::Refuse(format!("{from} is not an orderer of this raft group"));
    }
    if m.term > term.saturating_add(MAX_TERM_JUMP) {
        return Verdict::Refuse(format!("{from} sent term {}, implausibly far past ours ({term})", m.term));
    }
    let mut note = None;
    if m.get_msg_type() == MessageType::MsgHeartbeat && m.commit > last_index {
        note = Some(format!(
            "{from} sent a heartbeat committing index {} past our log ({last_index}); kept the heartbeat, not the commit",
            m.commit
        ));
        m.commit = last_index;
    }
    Verdict::Step { message: m, note }
}

/// A voter or learner of the current configuration (either may send).
pub fn is_member(members: &ConfState, id: u64) -> bool {
    members.voters.contains(&id)
        || members.learners.contains(&id)
        || members.voters_outgoing.contains(&id)
        || members.learners_next.contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(voters: &[&str]) -> ConfState {
        ConfState { voters: voters.iter().map(|v| raft_id(v)).collect(), ..Default::default() }
    }

    fn heartbeat(from: &str, term: u64, commit: u64) -> Message {
        let mut m = Message::default();
        m.set_msg_type(MessageType::MsgHeartbeat);
        m.from = raft_id(from);
        m.term = term;
        m.commit = commit;
        m
    }

    #[test]
    fn only_members_speaking_for_themselves_with_sane_numbers_are_stepped() {
        let members = conf(&["o1", "o2", "o3"]);
        let refused = |v: Verdict| match v {
            Verdict::Refuse(why) => why,
            other => panic!("stepped: {other:?}"),
        };
        // (sender, message, what the refusal names)
        let cases = [
            ("peer1", heartbeat("peer1", 3, 0), "not an orderer"),
            ("o2", heartbeat("o3", 3, 0), "claiming to be"),
            ("o2", heartbeat("o2", u64::MAX, 0), "implausibly far"),
            ("o2", heartbeat("o2", 3 + MAX_TERM_JUMP + 1, 0), "implausibly far"),
        ];
        for (from, m, want) in cases {
            let why = refused(admit(from, m, &members, 3, 10));
            assert!(why.contains(want), "{why}");
        }
        match admit("o2", heartbeat("o2", 4, 10), &members, 3, 10) {
            Verdict::Step { message, note: None } => assert_eq!(message.commit, 10),
            other => panic!("{other:?}"),
        }
        match admit("o2", heartbeat("o2", 4, u64::MAX), &members, 3, 10) {
            Verdict::Step { message, note: Some(note) } => {
                assert_eq!(message.commit, 10, "clamped to our log");
                assert!(note.contains("past our log"), "{note}");
            }
            other => panic!("{other:?}"),
        }
        let fresh = ConfState::default();
        assert!(matches!(admit("o9", heartbeat("o9", 1, 0), &fresh, 0, 0), Verdict::Step { .. }), "not configured yet");
        let learning = ConfState { learners: vec![raft_id("o4")], ..conf(&["o1"]) };
        assert!(matches!(admit("o4", heartbeat("o4", 1, 0), &learning, 1, 0), Verdict::Step { .. }));
    }
}
