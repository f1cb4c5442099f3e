//! Writes applied but not yet in the database: what readers see before the next sync.
//! An apply only changes this map (it never waits for the disk); a sync writes all of it
//! into redb in one durable commit and then forgets what it wrote. A key written twice
//! between two syncs reaches the disk once, and one written and removed again (a
//! message's place in a tablet's queue, gone at its ack) not at all.

use super::super::{Entry, Writes};
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};

/// A key's newest value (`None`: removed) and the generation of the apply that wrote it.
type Values = BTreeMap<Vec<u8>, (u64, Option<Bytes>)>;

/// One write taken by a sync: table, key, value (`None`: remove).
pub(super) type Taken = (&'static str, Vec<u8>, Option<Bytes>);

/// Applied writes the database does not have yet.
#[derive(Default)]
pub(super) struct Pending {
    tables: HashMap<&'static str, Values>,
    /// The generation of the last apply.
    applied: u64,
    /// Bytes of values held.
    bytes: usize,
}

/// What a read finds in pending for a key.
pub(super) enum Found {
    /// Not in pending: the database has the answer.
    NotHere,
    /// Pending says this (`None`: removed).
    Here(Option<Vec<u8>>),
}

impl Pending {
    /// Pending with nothing in it, its generations going on from `applied`.
    #[cfg(test)]
    pub(super) fn starting_at(applied: u64) -> Pending {
        Pending {
            applied,
            ..Pending::default()
        }
    }

    /// Takes in an apply's writes; returns its generation.
    pub(super) fn apply(&mut self, writes: Writes) -> u64 {
        self.applied += 1;
        let generation = self.applied;
        for ((table, key), value) in writes {
            let value = value.map(Bytes::from);
            self.bytes += value.as_ref().map_or(0, Bytes::len);
            let old = self
                .tables
                .entry(table)
                .or_default()
                .insert(key, (generation, value));
            if let Some((_, Some(old))) = old {
                self.bytes = self.bytes.saturating_sub(old.len());
            }
        }
        generation
    }

    /// The generation of the last apply.
    pub(super) fn applied(&self) -> u64 {
        self.applied
    }

    /// Bytes of values waiting for a sync.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// What pending says about `key`.
    pub(super) fn get(&self, table: &str, key: &[u8]) -> Found {
        match self.tables.get(table).and_then(|values| values.get(key)) {
            Some((_, value)) => Found::Here(value.as_ref().map(|v| v.to_vec())),
            None => Found::NotHere,
        }
    }

    /// Pending's keys in `table` that start with `prefix` and come after `after`, in
    /// order, with their values (`None`: removed).
    pub(super) fn range(
        &self,
        table: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Vec<(Vec<u8>, Option<Bytes>)> {
        let Some(values) = self.tables.get(table) else {
            return Vec::new();
        };
        values
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(k, _)| after.is_none_or(|a| k.as_slice() > a))
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect()
    }

    /// Everything applied so far, for a sync (values are shared, not copied), and the
    /// generation it reaches.
    pub(super) fn take_all(&self) -> (Vec<Taken>, u64) {
        let mut out = Vec::new();
        for (table, values) in &self.tables {
            for (key, (_, value)) in values {
                out.push((*table, key.clone(), value.clone()));
            }
        }
        (out, self.applied)
    }

    /// Forgets what a sync up to `generation` wrote into the database: the keys no later
    /// apply wrote again.
    pub(super) fn written_up_to(&mut self, generation: u64) {
        let mut freed = 0;
        self.tables.retain(|_, values| {
            values.retain(|_, (written_by, value)| {
                let done = *written_by <= generation;
                if done {
                    freed += value.as_ref().map_or(0, Bytes::len);
                }
                !done
            });
            !values.is_empty()
        });
        self.bytes = self.bytes.saturating_sub(freed);
    }
}

/// `stored` (from the database, in key order) with `mine` (pending, in key order) over
/// it, at most `limit` entries.
pub(super) fn merge(
    stored: Vec<Entry>,
    mine: Vec<(Vec<u8>, Option<Bytes>)>,
    limit: usize,
) -> Vec<Entry> {
    let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = stored.into_iter().collect();
    for (key, value) in mine {
        match value {
            Some(bytes) => {
                merged.insert(key, bytes.to_vec());
            }
            None => {
                merged.remove(&key);
            }
        }
    }
    merged.into_iter().take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Write<'a> = (&'static str, &'a [u8], Option<&'a [u8]>);

    fn writes(items: &[Write<'_>]) -> Writes {
        items
            .iter()
            .map(|(t, k, v)| ((*t, k.to_vec()), v.map(<[u8]>::to_vec)))
            .collect()
    }

    #[test]
    fn a_sync_forgets_only_what_no_later_apply_wrote_again() {
        let mut pending = Pending::starting_at(10);
        let first = pending.apply(writes(&[("t", b"a", Some(b"1")), ("t", b"b", Some(b"2"))]));
        assert_eq!(first, 11);
        let (taken, up_to) = pending.take_all();
        assert_eq!((taken.len(), up_to), (2, 11));
        // Between the sync's taking and its end, b is written again and c removed.
        pending.apply(writes(&[("t", b"b", Some(b"22")), ("t", b"c", None)]));
        pending.written_up_to(up_to);
        assert!(matches!(pending.get("t", b"a"), Found::NotHere));
        assert!(matches!(pending.get("t", b"b"), Found::Here(Some(v)) if v == b"22"));
        assert!(matches!(pending.get("t", b"c"), Found::Here(None)));
        assert_eq!(pending.bytes(), 2);
    }

    #[test]
    fn ranges_keep_to_their_prefix_and_removals_hide_stored_entries() {
        let mut pending = Pending::default();
        pending.apply(writes(&[
            ("t", b"a\x001", None),
            ("t", b"a\x003", Some(b"3")),
            ("t", b"ab", Some(b"x")),
        ]));
        let mine = pending.range("t", b"a\x00", None);
        assert_eq!(mine.len(), 2);
        let stored = vec![
            (b"a\x001".to_vec(), b"1".to_vec()),
            (b"a\x002".to_vec(), b"2".to_vec()),
        ];
        let merged = merge(stored, mine, 10);
        let values: Vec<&[u8]> = merged.iter().map(|(_, v)| v.as_slice()).collect();
        assert_eq!(values, [b"2", b"3"]);
        assert_eq!(
            merge(Vec::new(), pending.range("t", b"a\x00", Some(b"a\x001")), 1).len(),
            1
        );
    }
}
