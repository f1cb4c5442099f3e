//! The Nabij wire contract between kiosk and hub, sans I/O: the MQTT topic tree, the
//! message envelope and every message kind, size limits, and [`decode`], which turns
//! untrusted bytes into checked, typed values. `docs/protocol.md` is the same contract in
//! prose; its JSON examples are tested against this crate.

pub mod base64;
mod envelope;
mod glance;
mod ids;
pub mod limits;
mod messages;
pub mod time;
mod topics;

pub use envelope::{Body, DecodeError, Envelope, PROTOCOL_VERSION, Problem, decode};
pub use glance::{Glance, glance};
pub use ids::{
    ChoiceId, DeviceId, EnrolmentId, GroupId, IdError, MessageId, Party, PersonId, PromptId,
    Recipient, SessionId, SurveyId,
};
pub use messages::*;
pub use time::{Civil, UnixMillis};
pub use topics::{Direction, Qos, ROOT, Topic, TopicError, TopicKind};
