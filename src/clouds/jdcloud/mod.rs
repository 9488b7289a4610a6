//! JD Cloud VM (`vm.jdcloud-api.com`): the signer, and the client that fetches facts.

pub mod client;
pub mod sign;
pub use client::fetch;
