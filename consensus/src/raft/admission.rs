//! Which raft messages a node steps. That the sender is an orderer of the
//! channel is the node's check (its driver knows the channel
//! configuration; a lagging replica's raft configuration may not yet name
//! the current leader, so checking it here stalls it for good, as the
//! simulator showed). Here: the message names its real sender, and cannot
//! crash raft-rs — a heartbeat committing past the log is `fatal!` inside
//! raft-rs, and a term near `u64::MAX` overflows at the next election.
//! What is refused is counted and named in the status.

use raft::eraftpb::{Message, MessageType};

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

/// Whether `from`'s message `m` may reach raft-rs, given our term and our
/// last log index.
pub fn admit(from: &str, mut m: Message, term: u64, last_index: u64) -> Verdict {
    if m.from != raft_id(from) {
        return Verdict::Refuse(format!("{from} sent a raft message claiming to be node {}", m.from));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat(from: &str, term: u64, commit: u64) -> Message {
        let mut m = Message::default();
        m.set_msg_type(MessageType::MsgHeartbeat);
        m.from = raft_id(from);
        m.term = term;
        m.commit = commit;
        m
    }

    #[test]
    fn only_senders_speaking_for_themselves_with_sane_numbers_are_stepped() {
        let refused = |v: Verdict| match v {
            Verdict::Refuse(why) => why,
            other => panic!("stepped: {other:?}"),
        };
        // (sender, message, what the refusal names)
        let cases = [
            ("o2", heartbeat("o3", 3, 0), "claiming to be"),
            ("o2", heartbeat("o2", u64::MAX, 0), "implausibly far"),
            ("o2", heartbeat("o2", 3 + MAX_TERM_JUMP + 1, 0), "implausibly far"),
        ];
        for (from, m, want) in cases {
            let why = refused(admit(from, m, 3, 10));
            assert!(why.contains(want), "{why}");
        }
        match admit("o2", heartbeat("o2", 3 + MAX_TERM_JUMP, 10), 3, 10) {
            Verdict::Step { message, note: None } => assert_eq!(message.commit, 10),
            other => panic!("{other:?}"),
        }
        match admit("o2", heartbeat("o2", 4, u64::MAX), 3, 10) {
            Verdict::Step { message, note: Some(note) } => {
                assert_eq!(message.commit, 10, "clamped to our log");
                assert!(note.contains("past our log"), "{note}");
            }
            other => panic!("{other:?}"),
        }
    }
}
