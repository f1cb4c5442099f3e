//! How the hub feeds a tablet its queue: a window of messages in flight at a time (like the
//! kiosk's own outbox), topped up as the tablet acknowledges, and started again from the
//! oldest when nothing moved for a while. A tablet back after a week gets its backlog at
//! the pace it can take, not all at once; and what goes missing goes again.

use std::collections::BTreeMap;

/// Most messages in flight to one tablet.
pub const WINDOW_MESSAGES: usize = 20;

/// Most bytes in flight to one tablet (a photo is up to 1.5 MB): one message always goes,
/// whatever its size.
pub const WINDOW_BYTES: usize = 4 << 20;

/// Without an acknowledgement for this long, what is in flight is sent again (the
/// protocol's 60-second resend).
pub const STALL_MS: u64 = 60_000;

/// The messages in flight to one tablet, by their sequence number in its queue.
#[derive(Debug, Clone)]
pub struct Window {
    /// Everything in the queue up to here was sent in this round.
    sent_up_to: Option<u64>,
    in_flight: BTreeMap<u64, usize>,
    last_progress_ms: u64,
}

impl Window {
    /// An empty window: the next top-up starts at the oldest queued message.
    pub fn new(now_ms: u64) -> Window {
        Window {
            sent_up_to: None,
            in_flight: BTreeMap::new(),
            last_progress_ms: now_ms,
        }
    }

    /// The last queued message sent in this round; the next ones come after it.
    pub fn cursor(&self) -> Option<u64> {
        self.sent_up_to
    }

    /// How many more messages may go now.
    pub fn room(&self) -> usize {
        WINDOW_MESSAGES.saturating_sub(self.in_flight.len())
    }

    /// Given the next queued messages (sequence number and size, oldest first), takes as
    /// many as fit and marks them in flight; returns how many to send.
    pub fn admit(&mut self, next: &[(u64, usize)]) -> usize {
        let mut bytes: usize = self.in_flight.values().sum();
        let mut taken = 0;
        for &(seq, size) in next {
            let fits = self.in_flight.is_empty()
                || (self.in_flight.len() < WINDOW_MESSAGES && bytes + size <= WINDOW_BYTES);
            if !fits {
                break;
            }
            self.in_flight.insert(seq, size);
            self.sent_up_to = Some(seq);
            bytes += size;
            taken += 1;
        }
        taken
    }

    /// The tablet acknowledged the message with this sequence number.
    pub fn acked(&mut self, seq: u64, now_ms: u64) {
        if self.in_flight.remove(&seq).is_some() {
            self.last_progress_ms = now_ms;
        }
    }

    /// Whether messages are in flight and none was acknowledged for [`STALL_MS`].
    pub fn stalled(&self, now_ms: u64) -> bool {
        !self.in_flight.is_empty() && now_ms.saturating_sub(self.last_progress_ms) >= STALL_MS
    }

    /// Starts the round again from the oldest queued message.
    pub fn restart(&mut self, now_ms: u64) {
        *self = Window::new(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(range: std::ops::Range<u64>, size: usize) -> Vec<(u64, usize)> {
        range.map(|seq| (seq, size)).collect()
    }

    #[test]
    fn a_backlog_goes_a_window_at_a_time_as_acks_come() {
        let mut w = Window::new(0);
        assert_eq!(w.admit(&queue(0..100, 100)), WINDOW_MESSAGES);
        assert_eq!(w.cursor(), Some(19));
        assert_eq!(w.room(), 0);
        for seq in 0..5 {
            w.acked(seq, 10);
        }
        assert_eq!(w.room(), 5);
        assert_eq!(w.admit(&queue(20..100, 100)), 5);
        assert_eq!(w.cursor(), Some(24));
    }

    #[test]
    fn big_messages_are_limited_by_bytes_but_one_always_goes() {
        let mut w = Window::new(0);
        let photo = 1_500_000;
        assert_eq!(w.admit(&queue(0..10, photo)), WINDOW_BYTES / photo);
        let mut w = Window::new(0);
        assert_eq!(w.admit(&[(0, 10 << 20)]), 1, "even larger than the window");
    }

    #[test]
    fn a_stalled_window_starts_again_from_the_oldest() {
        let mut w = Window::new(0);
        w.admit(&queue(0..3, 10));
        assert!(!w.stalled(STALL_MS - 1));
        w.acked(0, 30_000);
        assert!(!w.stalled(STALL_MS + 1), "an ack is progress");
        assert!(w.stalled(30_000 + STALL_MS));
        w.restart(100_000);
        assert_eq!((w.cursor(), w.room()), (None, WINDOW_MESSAGES));
        w.acked(7, 100_001); // an ack for something not in flight changes nothing
        assert_eq!(w.room(), WINDOW_MESSAGES);
    }
}
