//! Zenlayer VM (`console.zenlayer.com/api/v2/vm`): the signer, and the client that fetches
//! facts.

pub mod client;
pub mod sign;
pub use client::fetch;
