//! lakefeed's one integration-test binary; each module is a topic.

mod common;

mod cli;
mod client;
mod python;
mod registry;
