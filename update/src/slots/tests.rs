//! The slot switch with the power cut at every operation, and stopped at every step.

use super::*;
use crate::manifest::{Manifest, PrivateKey};
use nabij_powercut::{Power, Rng};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Node {
    File { bytes: Vec<u8>, synced: bool },
    Link(String),
    Dir,
}

/// A file tree in memory on a simulated machine: every change counts as an operation on
/// its `Power`; after a cut, [`SimFs::restart`] gives what the disk holds: names as they
/// were (the file system journals them in order), and each file written since its last
/// fsync cut short at a random point (its data never reached the disk).
struct SimFs {
    power: Power,
    tree: RefCell<BTreeMap<String, Node>>,
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, path.to_owned())
}

impl SimFs {
    fn new() -> SimFs {
        SimFs {
            power: Power::on(),
            tree: RefCell::new(BTreeMap::from([("".to_owned(), Node::Dir)])),
        }
    }

    fn restart(&self, rng: &mut Rng) -> SimFs {
        let tree = self
            .tree
            .borrow()
            .iter()
            .map(|(path, node)| {
                let node = match node {
                    Node::File {
                        bytes,
                        synced: false,
                    } => {
                        let keep = rng.below(bytes.len() as u64 + 1) as usize;
                        Node::File {
                            bytes: bytes[..keep].to_vec(),
                            synced: true,
                        }
                    }
                    other => other.clone(),
                };
                (path.clone(), node)
            })
            .collect();
        SimFs {
            power: Power::on(),
            tree: RefCell::new(tree),
        }
    }

    fn parent_exists(&self, path: &str) -> io::Result<()> {
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        match self.tree.borrow().get(parent) {
            Some(Node::Dir) => Ok(()),
            _ => Err(not_found(parent)),
        }
    }
}

impl Fs for &SimFs {
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        match self.tree.borrow().get(path) {
            Some(Node::File { bytes, .. }) => Ok(bytes.clone()),
            Some(Node::Link(target)) => match self.tree.borrow().get(target) {
                Some(Node::File { bytes, .. }) => Ok(bytes.clone()),
                _ => Err(not_found(path)),
            },
            _ => Err(not_found(path)),
        }
    }

    fn write(&self, path: &str, bytes: &[u8], _mode: u32) -> io::Result<()> {
        self.power.tick()?;
        self.parent_exists(path)?;
        self.tree.borrow_mut().insert(
            path.to_owned(),
            Node::File {
                bytes: bytes.to_vec(),
                synced: false,
            },
        );
        Ok(())
    }

    fn sync_file(&self, path: &str) -> io::Result<()> {
        self.power.tick()?;
        match self.tree.borrow_mut().get_mut(path) {
            Some(Node::File { synced, .. }) => {
                *synced = true;
                Ok(())
            }
            _ => Err(not_found(path)),
        }
    }

    fn sync_dir(&self, path: &str) -> io::Result<()> {
        self.power.tick()?;
        match self.tree.borrow().get(path) {
            Some(Node::Dir) => Ok(()),
            _ => Err(not_found(path)),
        }
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.power.tick()?;
        self.parent_exists(to)?;
        let mut tree = self.tree.borrow_mut();
        let node = tree.remove(from).ok_or_else(|| not_found(from))?;
        tree.insert(to.to_owned(), node);
        Ok(())
    }

    fn symlink(&self, target: &str, link: &str) -> io::Result<()> {
        self.power.tick()?;
        self.parent_exists(link)?;
        let mut tree = self.tree.borrow_mut();
        if tree.contains_key(link) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                link.to_owned(),
            ));
        }
        tree.insert(link.to_owned(), Node::Link(target.to_owned()));
        Ok(())
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        match self.tree.borrow().get(path) {
            Some(Node::Link(target)) => Ok(target.clone()),
            _ => Err(not_found(path)),
        }
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        self.power.tick()?;
        self.tree.borrow_mut().remove(path);
        Ok(())
    }

    fn create_dir_all(&self, path: &str) -> io::Result<()> {
        self.power.tick()?;
        let mut tree = self.tree.borrow_mut();
        let mut sofar = String::new();
        for part in path.split('/') {
            if !sofar.is_empty() {
                sofar.push('/');
            }
            sofar.push_str(part);
            tree.entry(sofar.clone()).or_insert(Node::Dir);
        }
        Ok(())
    }
}

const TRIAL: u64 = 300;

fn v(text: &str) -> Version {
    text.parse().expect("version")
}

fn old_binary() -> Vec<u8> {
    b"kiosk 0.1.0 ".repeat(300)
}

fn bundle(key: &PrivateKey, version: &str) -> Bundle {
    let payload = format!("kiosk {version} ").into_bytes().repeat(400);
    let manifest = Manifest::describe(&payload, v(version), v("0.1.0"), "amd64");
    Bundle::sign(&manifest, payload, key).expect("sign")
}

/// A tablet running 0.1.0 from the package.
fn tablet() -> SimFs {
    let fs = SimFs::new();
    let slots = Slots::new(&fs);
    assert!(
        slots
            .adopt(&old_binary(), v("0.1.0"), 0, TRIAL)
            .expect("adopt")
    );
    fs
}

fn running_version(slots: &Slots<&SimFs>) -> Version {
    slots.running().expect("a working kiosk").1.version
}

#[test]
fn a_confirmed_update_is_kept() {
    let (key, _) = PrivateKey::generate().expect("key");
    let fs = tablet();
    let slots = Slots::new(&fs);
    let trial = slots
        .install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL)
        .expect("install");
    assert_eq!((trial.slot, trial.previous), (Slot::B, Slot::A));
    assert_eq!(running_version(&slots), v("0.2.0"));
    assert!(matches!(
        slots.check(1_010, TRIAL, None, &TrialNotes::default()),
        Ok(Checked::OnTrial(_))
    ));
    // Confirming another version keeps nothing.
    assert!(matches!(
        slots.check(1_020, TRIAL, Some(v("0.1.0")), &TrialNotes::default()),
        Ok(Checked::OnTrial(_))
    ));
    assert_eq!(
        slots
            .check(1_030, TRIAL, Some(v("0.2.0")), &TrialNotes::default())
            .expect("check"),
        Checked::Kept(v("0.2.0"))
    );
    // Long after, nothing rolls back.
    assert_eq!(
        slots
            .check(99_999, TRIAL, None, &TrialNotes::default())
            .expect("check"),
        Checked::Idle
    );
    assert_eq!(running_version(&slots), v("0.2.0"));
    assert_eq!(
        slots.state().expect("state").last.map(|o| o.state),
        Some(OutcomeState::Installed)
    );
    // The next update goes into the other slot, over 0.1.0.
    let trial = slots
        .install(
            &bundle(&key, "0.3.0"),
            &key.public(),
            "amd64",
            100_000,
            TRIAL,
        )
        .expect("install");
    assert_eq!((trial.slot, trial.previous), (Slot::A, Slot::B));
}

#[test]
fn an_unconfirmed_update_rolls_back_with_its_reason() {
    let (key, _) = PrivateKey::generate().expect("key");
    let fs = tablet();
    let slots = Slots::new(&fs);
    slots
        .install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL)
        .expect("install");
    let Checked::RolledBack(reason) = slots
        .check(
            1_000 + TRIAL,
            TRIAL,
            None,
            &TrialNotes {
                progress: Some((v("0.2.0"), Progress::Started)),
                trouble: Some("the hub did not answer".into()),
            },
        )
        .expect("check")
    else {
        panic!("not rolled back");
    };
    assert!(
        reason.contains("0.2.0") && reason.contains("the hub did not answer"),
        "{reason}"
    );
    assert_eq!(running_version(&slots), v("0.1.0"));
    let last = slots.state().expect("state").last.expect("outcome");
    assert_eq!(
        (last.state, last.version),
        (OutcomeState::RolledBack, Some(v("0.2.0")))
    );
    assert_eq!(last.reason, Some(reason));
}

#[test]
fn a_rollback_says_how_far_the_new_version_got() {
    let (key, _) = PrivateKey::generate().expect("key");
    let notes = |progress: Option<(&str, Progress)>| TrialNotes {
        progress: progress.map(|(version, step)| (v(version), step)),
        trouble: None,
    };
    for (said, expected) in [
        (None, "version 0.2.0 never started within 5 minutes"),
        (
            // Progress recorded for another version (an older trial) says nothing.
            Some(("0.1.5", Progress::ReachedHub)),
            "version 0.2.0 never started within 5 minutes",
        ),
        (
            Some(("0.2.0", Progress::Started)),
            "version 0.2.0 started but did not reach the hub within 5 minutes",
        ),
        (
            Some(("0.2.0", Progress::ReachedHub)),
            "version 0.2.0 reached the hub but did not show its home screen within 5 minutes",
        ),
    ] {
        let fs = tablet();
        let slots = Slots::new(&fs);
        slots
            .install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL)
            .expect("install");
        assert_eq!(
            slots
                .check(1_000 + TRIAL, TRIAL, None, &notes(said))
                .expect("check"),
            Checked::RolledBack(expected.into())
        );
        assert_eq!(running_version(&slots), v("0.1.0"));
    }
}

#[test]
fn a_new_version_started_three_times_unconfirmed_rolls_back_at_the_next_start() {
    let (key, _) = PrivateKey::generate().expect("key");
    let fs = tablet();
    let slots = Slots::new(&fs);
    slots
        .install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL)
        .expect("install");
    let none = TrialNotes::default();
    for start in 1..=MAX_TRIAL_STARTS {
        let Checked::OnTrial(trial) = slots.starting(1_000 + 10, &none).expect("start") else {
            panic!("start {start} rolled back");
        };
        assert_eq!(trial.starts, start);
        assert_eq!(running_version(&slots), v("0.2.0"));
    }
    let started = TrialNotes {
        progress: Some((v("0.2.0"), Progress::Started)),
        trouble: None,
    };
    assert_eq!(
        slots.starting(1_000 + 20, &started).expect("start"),
        Checked::RolledBack(
            "version 0.2.0 stopped 3 times and started but did not reach the hub".into()
        )
    );
    assert_eq!(running_version(&slots), v("0.1.0"));
    // The previous version is no trial: its starts are not counted.
    assert_eq!(
        slots.starting(1_000 + 30, &none).expect("start"),
        Checked::Idle
    );
    assert_eq!(running_version(&slots), v("0.1.0"));

    // A version that confirms itself before its third restart is kept.
    slots
        .install(&bundle(&key, "0.3.0"), &key.public(), "amd64", 2_000, TRIAL)
        .expect("install");
    for _ in 0..MAX_TRIAL_STARTS {
        slots.starting(2_000, &none).expect("start");
    }
    assert_eq!(
        slots
            .check(2_010, TRIAL, Some(v("0.3.0")), &none)
            .expect("check"),
        Checked::Kept(v("0.3.0"))
    );
    assert_eq!(slots.starting(2_020, &none).expect("start"), Checked::Idle);
    assert_eq!(running_version(&slots), v("0.3.0"));
}

#[test]
fn refused_bundles_change_no_slot_and_are_recorded() {
    let (key, _) = PrivateKey::generate().expect("key");
    let (stranger, _) = PrivateKey::generate().expect("key");
    let fs = tablet();
    let slots = Slots::new(&fs);
    let before = fs.tree.borrow().clone();
    let mut changed = bundle(&key, "0.2.0");
    changed.payload[100] ^= 1;
    for (bad, why) in [
        (bundle(&stranger, "0.2.0"), "signature"),
        (changed, "differ"),
        (bundle(&key, "0.1.0"), "not newer"),
    ] {
        let error = slots
            .install(&bad, &key.public(), "amd64", 1_000, TRIAL)
            .expect_err("refused");
        assert!(error.to_string().contains(why), "{error}");
        let last = slots.state().expect("state").last.expect("outcome");
        assert_eq!(last.state, OutcomeState::Refused);
        assert_eq!(running_version(&slots), v("0.1.0"));
    }
    // Only state.json changed.
    let after = fs.tree.borrow().clone();
    let differs: Vec<_> = after
        .keys()
        .filter(|k| format!("{:?}", before.get(*k)) != format!("{:?}", after.get(*k)))
        .collect();
    assert_eq!(differs, vec!["state.json"]);
}

/// Install and then (confirmed or not) finish, with the power cut before operation
/// `cut`; after the restart the updater recovers, and a tablet must start a complete
/// kiosk, then end up where the story leads.
fn cut_once(cut: u64, confirm: bool, rng: &mut Rng) -> bool {
    let (key, _) = PrivateKey::generate().expect("key");
    let fs = tablet();
    fs.power.cut_after(cut);
    let slots = Slots::new(&fs);
    let installed = slots.install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL);
    let finished = installed.is_ok()
        && if confirm {
            slots
                .check(1_010, TRIAL, Some(v("0.2.0")), &TrialNotes::default())
                .is_ok()
        } else {
            slots
                .check(1_000 + TRIAL, TRIAL, None, &TrialNotes::default())
                .is_ok()
        };
    let power_went_off = fs.power.is_off();
    let after = fs.restart(rng);
    let slots = Slots::new(&after);
    let state = slots.recover(2_000, TRIAL).expect("recover");
    let running = running_version(&slots);
    assert!(
        running == v("0.1.0") || running == v("0.2.0"),
        "cut {cut}: {running}"
    );
    if let Some(trial) = &state.trial {
        assert_eq!(
            slots.active().expect("active"),
            Some(trial.slot),
            "cut {cut}"
        );
        assert_eq!(running, v("0.2.0"));
    }
    // The story goes on: the new version confirms itself, or its time runs out.
    let confirmed = confirm.then_some(v("0.2.0"));
    slots
        .check(2_000 + TRIAL, TRIAL, confirmed, &TrialNotes::default())
        .expect("check");
    let end = running_version(&slots);
    let trial_began = state.trial.is_some()
        || state
            .last
            .as_ref()
            .is_some_and(|o| o.state != OutcomeState::Refused);
    if confirm && trial_began {
        assert_eq!(end, v("0.2.0"), "cut {cut}: confirmed, then {state:?}");
    } else {
        assert_eq!(end, v("0.1.0"), "cut {cut}: unconfirmed or never switched");
    }
    assert!(slots.state().expect("state").trial.is_none());
    !power_went_off && finished
}

#[test]
fn a_power_cut_at_every_operation_leaves_a_working_kiosk() {
    let mut rng = Rng::new(24);
    for confirm in [true, false] {
        let mut cut = 1;
        // Until the power cut comes after the whole story.
        while !cut_once(cut, confirm, &mut rng) {
            cut += 1;
            assert!(cut < 200, "the story never finished");
        }
        assert!(cut > 15, "too few operations to be the whole story: {cut}");
    }
}

#[test]
fn stopped_at_every_step_the_next_start_recovers() {
    let (key, _) = PrivateKey::generate().expect("key");
    for step in Step::ALL {
        let fs = tablet();
        let stopped = Slots::new(&fs).stop_at(Some(step));
        let outcome = stopped
            .install(&bundle(&key, "0.2.0"), &key.public(), "amd64", 1_000, TRIAL)
            .map(|_| ())
            .and_then(|()| {
                stopped
                    .check(1_000 + TRIAL, TRIAL, None, &TrialNotes::default())
                    .map(|_| ())
            });
        assert!(
            matches!(outcome, Err(SlotError::Stopped(s)) if s == step),
            "{step:?}: {outcome:?}"
        );
        let slots = Slots::new(&fs);
        slots.recover(5_000, TRIAL).expect("recover");
        assert!(slots.running().is_ok(), "{step:?}");
        slots
            .check(5_000 + TRIAL, TRIAL, None, &TrialNotes::default())
            .expect("check");
        assert_eq!(running_version(&slots), v("0.1.0"), "{step:?}");
    }
}
