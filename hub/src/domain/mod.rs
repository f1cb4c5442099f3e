//! The hub's rules as pure code: the records it keeps, their states, and the decisions
//! over them. Nothing here reads a clock, a disk or a socket: callers pass the records and
//! the time in, and store and send what comes out (the `app` layer).

pub mod accounts;
pub mod attendance;
pub mod budget;
pub mod calendar;
pub mod delivery;
pub mod devices;
pub mod diary;
pub mod enrolment;
pub mod evaluation;
pub mod followup;
pub mod health;
pub mod loans;
pub mod messaging;
pub mod network;
pub mod people;
pub mod reminders;
pub mod schedule;
pub mod surveys;
