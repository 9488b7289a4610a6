//! Alibaba Cloud ECS (`ecs.{region}.aliyuncs.com`, RPC style): the signer, and the client that
//! fetches facts.

pub mod client;
pub mod sign;
pub use client::fetch;
