//! The end-to-end test binary: one module per capability.

mod protocol_doc;
