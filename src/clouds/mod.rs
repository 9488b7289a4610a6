//! The three clouds preflight knows, and what each can tell us. The network clients that
//! fetch facts from them will live beside this file; for now facts come from a facts file.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A cloud, by the name plans use for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    Jdcloud,
    Aliyun,
    Zenlayer,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Jdcloud, Cloud::Aliyun, Cloud::Zenlayer];

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Jdcloud => "jdcloud",
            Cloud::Aliyun => "aliyun",
            Cloud::Zenlayer => "zenlayer",
        }
    }

    pub fn parse(name: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The cloud's own name, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Cloud::Jdcloud => "JD Cloud",
            Cloud::Aliyun => "Alibaba Cloud ECS",
            Cloud::Zenlayer => "Zenlayer",
        }
    }

    /// Whether the cloud has an API that says which instance types an image allows.
    /// Zenlayer has none: its pairings are checked for everything else.
    pub fn knows_image_constraints(self) -> bool {
        !matches!(self, Cloud::Zenlayer)
    }

    /// Whether the cloud has an API for the custom-image quota. Alibaba has none we know of.
    pub fn knows_image_quota(self) -> bool {
        !matches!(self, Cloud::Aliyun)
    }

    /// What the plan's `region` means for this cloud, for messages.
    pub fn region_word(self) -> &'static str {
        match self {
            Cloud::Zenlayer => "zone",
            _ => "region",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub mod aliyun;
pub mod jdcloud;
pub mod sign;
pub mod zenlayer;
