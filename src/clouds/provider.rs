//! The provider seam, as cargo's `Source`: what preflight needs of one cloud API, in one
//! trait, and the table of the four it knows. Each cloud implements it in its own folder
//! (`jdcloud/`, `aliyun/`, `zenlayer/vm.rs` and `zenlayer/zec.rs`); the fetch fan-out,
//! `preflight permissions`, `credentials --check` and the default endpoints ask the table
//! instead of matching on the API. ARCHITECTURE.md's "Adding a cloud" lists what else a new
//! cloud touches (its plan values, its Terraform resources, the rules' wording).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{Client, Endpoint, RegionNeeds};
use crate::cloud::Api;
use crate::facts::RegionFacts;

/// What a fetch of one API brings: each region's facts.
pub type Answers = Vec<(String, RegionFacts)>;

/// A fetch under way.
pub type Fetching = Pin<Box<dyn Future<Output = Answers> + Send>>;

/// How `preflight credentials --check` proves a key works with the fewest permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The API's quota call in a region (zone), a call preflight makes anyway; `place` is where
    /// when the plans name none.
    Quota { place: &'static str },
    /// STS `GetCallerIdentity`, which needs no permission and says whose the key is.
    CallerIdentity,
}

/// One cloud API as preflight uses it.
pub trait Provider: Sync {
    fn api(&self) -> Api;

    /// The operations it calls, as the cloud's SDK names them (`preflight permissions`).
    fn operations(&self) -> &'static [&'static str];

    /// The service its permissions are named under in the cloud's policy language.
    fn permission_service(&self) -> &'static str;

    /// Operations of another service of the same cloud it calls, as (service, operation):
    /// Alibaba's vSwitches are VPC's.
    fn other_operations(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Where its API answers for `region` when no endpoint is configured.
    fn endpoint(&self, region: &str) -> Endpoint;

    /// How `credentials --check` proves a key.
    fn probe(&self) -> Probe;

    /// Every region's facts, asked with `client`.
    fn fetch(&self, client: Arc<Client>, regions: Vec<(String, RegionNeeds)>) -> Fetching;
}

/// Every provider, one per API.
pub const ALL: [&dyn Provider; 4] = [
    &super::jdcloud::JdCloud,
    &super::aliyun::Ecs,
    &super::zenlayer::vm::Vm,
    &super::zenlayer::zec::Zec,
];

/// The provider of `api`.
pub fn of(api: Api) -> &'static dyn Provider {
    match api {
        Api::Jdcloud => ALL[0],
        Api::Aliyun => ALL[1],
        Api::ZenlayerVm => ALL[2],
        Api::ZenlayerZec => ALL[3],
    }
}

/// An `https` endpoint at `authority`.
pub fn https(authority: impl Into<String>) -> Endpoint {
    Endpoint {
        scheme: "https".to_string(),
        authority: authority.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_each_api_once_in_its_place() {
        for api in Api::ALL {
            assert_eq!(of(api).api(), api);
        }
        assert_eq!(ALL.len(), Api::ALL.len());
    }
}
