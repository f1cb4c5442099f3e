//! What one tablet may make the hub do: a token bucket for messages and one for bytes, so
//! that a tablet gone wild (or one resending a month of photos at once) cannot crowd out
//! everyone else's help requests. Time is passed in as milliseconds on any steady clock.

/// A token bucket: at most `burst` tokens, refilled at `per_minute` tokens a minute.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    burst: f64,
    per_ms: f64,
    last_ms: u64,
}

impl Bucket {
    /// A full bucket.
    pub fn new(burst: u64, per_minute: u64, now_ms: u64) -> Bucket {
        Bucket {
            tokens: burst as f64,
            burst: burst as f64,
            per_ms: per_minute as f64 / 60_000.0,
            last_ms: now_ms,
        }
    }

    fn refill(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.burst);
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// Milliseconds until `amount` tokens are there (0: now). Never more than the time a
    /// full bucket takes, even for an amount larger than the burst (which then waits for
    /// a full bucket and takes it all).
    fn wait_for(&mut self, amount: u64, now_ms: u64) -> u64 {
        self.refill(now_ms);
        let wanted = (amount as f64).min(self.burst);
        if self.tokens >= wanted {
            0
        } else if self.per_ms <= 0.0 {
            u64::MAX
        } else {
            ((wanted - self.tokens) / self.per_ms).ceil() as u64
        }
    }

    fn take(&mut self, amount: u64) {
        self.tokens = (self.tokens - amount as f64).max(0.0);
    }
}

/// The limits every tablet gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages a tablet may send at once.
    pub burst_messages: u64,
    /// Messages a minute after that.
    pub messages_per_minute: u64,
    /// Bytes a tablet may send at once.
    pub burst_bytes: u64,
    /// Bytes a minute after that.
    pub bytes_per_minute: u64,
}

/// One tablet's budget.
#[derive(Debug, Clone)]
pub struct Budget {
    messages: Bucket,
    bytes: Bucket,
}

impl Budget {
    /// A full budget.
    pub fn new(limits: &Limits, now_ms: u64) -> Budget {
        Budget {
            messages: Bucket::new(limits.burst_messages, limits.messages_per_minute, now_ms),
            bytes: Bucket::new(limits.burst_bytes, limits.bytes_per_minute, now_ms),
        }
    }

    /// Charges one message of `bytes` bytes (acks count their bytes only: they are how a
    /// tablet makes room, and cost the hub little). `Err(ms)`: over budget, try again in
    /// that many milliseconds; nothing was charged.
    pub fn charge(&mut self, bytes: u64, is_ack: bool, now_ms: u64) -> Result<(), u64> {
        let messages = if is_ack { 0 } else { 1 };
        let wait = self
            .messages
            .wait_for(messages, now_ms)
            .max(self.bytes.wait_for(bytes, now_ms));
        if wait > 0 {
            return Err(wait);
        }
        self.messages.take(messages);
        self.bytes.take(bytes);
        Ok(())
    }

    /// Whether the budget is full again (and can be forgotten to save memory).
    pub fn is_full(&mut self, now_ms: u64) -> bool {
        self.messages.refill(now_ms);
        self.bytes.refill(now_ms);
        self.messages.tokens >= self.messages.burst && self.bytes.tokens >= self.bytes.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        burst_messages: 3,
        messages_per_minute: 60,
        burst_bytes: 1_000,
        bytes_per_minute: 6_000,
    };

    #[test]
    fn a_burst_passes_then_messages_wait_for_the_refill() {
        let mut budget = Budget::new(&LIMITS, 0);
        for _ in 0..3 {
            assert_eq!(budget.charge(10, false, 0), Ok(()));
        }
        assert_eq!(budget.charge(10, false, 0), Err(1_000), "one a second");
        assert_eq!(budget.charge(10, true, 0), Ok(()), "acks pass");
        assert_eq!(budget.charge(10, false, 1_000), Ok(()));
        assert!(!budget.is_full(1_000));
        assert!(budget.is_full(10_000));
    }

    #[test]
    fn bytes_are_limited_and_a_refusal_charges_nothing() {
        let mut budget = Budget::new(&LIMITS, 0);
        assert_eq!(budget.charge(900, false, 0), Ok(()));
        assert_eq!(
            budget.charge(400, false, 0),
            Err(3_000),
            "300 bytes at 100 a second"
        );
        assert_eq!(
            budget.charge(100, false, 0),
            Ok(()),
            "the refusal took no tokens"
        );
        // More than a whole burst waits for a full bucket, then goes.
        let mut budget = Budget::new(&LIMITS, 0);
        assert_eq!(budget.charge(5_000, false, 0), Ok(()));
        assert_eq!(budget.charge(5_000, false, 0), Err(10_000));
    }
}
