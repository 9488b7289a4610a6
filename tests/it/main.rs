//! The integration tests, in one binary: the real `preflight` driven as users, editors and CI
//! drive it, against the fake clouds on loopback. One binary links once, where thirteen each
//! linked the whole crate. `support` holds the one way to run the binary (`support::run`), the
//! fake clouds, the language server client and the schema validators.

mod support;

mod bad_inputs;
mod cli;
mod credentials;
mod docs;
mod e2e;
mod fidelity;
mod formats;
mod golden;
mod hostile;
mod install;
mod launch;
mod lsp;
mod parse_props;
mod response_props;
mod schema_agrees;
mod trust;
