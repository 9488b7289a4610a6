//! Alibaba Cloud ECS (`ecs.{region}.aliyuncs.com`, RPC style): the signer, and the client that
//! fetches facts.

pub mod sign;
