//! A small mutation engine without coverage: what `cargo xtask test` fuzzes with, from
//! the checked-in corpus, in the ordinary build (CI has no time for a second,
//! instrumented build of the workspace). It changes corpus inputs the ways libFuzzer's
//! simplest mutators do — bytes, ranges, splices — and puts in tokens taken from the
//! corpus itself (JSON keys and kinds, field names, paths) and values at the edges of
//! what parsers read (big numbers, empty strings, escapes).

/// A small, fast random number generator (xorshift64*), seeded so a run can be repeated.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced: xorshift never leaves it).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Values at the edges of what the parsers read.
const EDGES: &[&str] = &[
    "0",
    "-1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "1e309",
    "-0",
    "0.5",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "%00",
    "%ff",
    "%",
    "+",
    "&",
    "=",
    "\n",
    "\r\n",
    "..",
    "/",
    "\u{202e}",
    "é",
];

/// Mutates inputs, with tokens from a corpus.
pub struct Mutator {
    tokens: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutator {
    /// A mutator whose tokens are the corpus's quoted strings and words; inputs it makes
    /// are at most `max_len` bytes.
    pub fn new(corpus: &[Vec<u8>], max_len: usize) -> Mutator {
        let mut tokens: Vec<Vec<u8>> = EDGES.iter().map(|e| e.as_bytes().to_vec()).collect();
        for input in corpus {
            for piece in input.split(|b| !(b.is_ascii_alphanumeric() || b"_-/.".contains(b))) {
                if (2..=40).contains(&piece.len()) {
                    tokens.push(piece.to_vec());
                    let mut quoted = b"\"".to_vec();
                    quoted.extend_from_slice(piece);
                    quoted.push(b'"');
                    tokens.push(quoted);
                }
            }
        }
        tokens.sort();
        tokens.dedup();
        Mutator { tokens, max_len }
    }

    /// How many tokens it puts in.
    pub fn tokens(&self) -> usize {
        self.tokens.len()
    }

    /// A new input from `input`, with one to four changes; `other` is another corpus
    /// input to splice with.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + rng.below(4) {
            self.change(rng, &mut out, other);
        }
        out.truncate(self.max_len);
        out
    }

    fn change(&self, rng: &mut Rng, out: &mut Vec<u8>, other: &[u8]) {
        let len = out.len();
        let at = rng.below(len + 1);
        let span = |rng: &mut Rng| 1 + rng.below(16.min(len - at).max(1));
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                const BYTES: &[u8] = b"\0\x7f\xff\"{}[],:\\\n 09-";
                out[i] = BYTES[rng.below(BYTES.len())];
            }
            2 if at < len => {
                let n = span(rng);
                out.drain(at..(at + n).min(len));
            }
            3 if at < len => {
                let n = span(rng);
                let copy = out[at..(at + n).min(len)].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            4 | 5 => {
                let token = &self.tokens[rng.below(self.tokens.len())];
                out.splice(at..at, token.iter().copied());
            }
            6 if at < len => {
                let n = span(rng);
                let token = &self.tokens[rng.below(self.tokens.len())];
                out.splice(at..(at + n).min(len), token.iter().copied());
            }
            7 if !other.is_empty() => {
                let from = rng.below(other.len());
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            _ => {
                // A number written longer: a digit run grows by a few digits.
                if let Some(i) = (at..len).find(|&i| out[i].is_ascii_digit()) {
                    let digits = b"9".repeat(1 + rng.below(20));
                    out.splice(i..i, digits);
                } else {
                    out.push(b'0' + rng.below(10) as u8);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_within_the_length_and_change_the_input() {
        let corpus = vec![br#"up {"v":1,"kind":"text"}"#.to_vec(), b"hub".to_vec()];
        let mutator = Mutator::new(&corpus, 64);
        assert!(mutator.tokens() > EDGES.len(), "tokens from the corpus");
        let mut rng = Rng::new(7);
        let mut changed = 0;
        for i in 0..10_000 {
            let out = mutator.mutate(&mut rng, &corpus[i % 2], &corpus[(i + 1) % 2]);
            assert!(out.len() <= 64);
            changed += usize::from(out != corpus[i % 2]);
        }
        assert!(changed > 9_000, "{changed} of 10000 changed");
    }

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let corpus = vec![b"coach POST /people\nname=Anna".to_vec()];
        let mutator = Mutator::new(&corpus, 1024);
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..100)
                .map(|_| mutator.mutate(&mut rng, &corpus[0], &corpus[0]))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
