//! The names of what preflight checks against: the clouds, Zenlayer's services, the APIs that
//! answer for them, and how an instance is bought. Plain names, below `plan`, `facts` and
//! `clouds`, which all use them and none of which this module knows.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// Which of Zenlayer's services runs an instance (a plan's `service`): its virtual machines
/// (`vm`, the default) or Zenlayer Elastic Compute (`zec`). JD Cloud and Alibaba have one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Service {
    #[default]
    Vm,
    Zec,
}

impl Service {
    pub const ALL: [Service; 2] = [Service::Vm, Service::Zec];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Vm => "vm",
            Service::Zec => "zec",
        }
    }

    pub fn parse(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The API that answers for a pairing: a cloud, and for Zenlayer one of its services. Facts
/// are kept per API and region; in a facts file it is `jdcloud`, `aliyun`, `zenlayer` (the VM
/// service) or `zenlayer-zec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    Jdcloud,
    Aliyun,
    ZenlayerVm,
    ZenlayerZec,
}

impl Api {
    pub const ALL: [Api; 4] = [Api::Jdcloud, Api::Aliyun, Api::ZenlayerVm, Api::ZenlayerZec];

    /// The API of `service` on `cloud`; clouds with one service ignore it.
    pub fn of(cloud: Cloud, service: Service) -> Api {
        match (cloud, service) {
            (Cloud::Jdcloud, _) => Api::Jdcloud,
            (Cloud::Aliyun, _) => Api::Aliyun,
            (Cloud::Zenlayer, Service::Vm) => Api::ZenlayerVm,
            (Cloud::Zenlayer, Service::Zec) => Api::ZenlayerZec,
        }
    }

    pub fn cloud(self) -> Cloud {
        match self {
            Api::Jdcloud => Cloud::Jdcloud,
            Api::Aliyun => Cloud::Aliyun,
            Api::ZenlayerVm | Api::ZenlayerZec => Cloud::Zenlayer,
        }
    }

    pub fn service(self) -> Service {
        match self {
            Api::ZenlayerZec => Service::Zec,
            _ => Service::Vm,
        }
    }

    /// Why the service does not sell instances bought as `charge`, if it does not.
    pub fn refuses(self, charge: ChargeType) -> Option<&'static str> {
        match (self, charge) {
            (Api::ZenlayerVm, ChargeType::Spot) => {
                Some("Zenlayer sells no spot instances: use postpaid or prepaid")
            }
            (Api::ZenlayerZec, ChargeType::Prepaid | ChargeType::Spot) => {
                Some("Zenlayer Elastic Compute instances are postpaid only")
            }
            _ => None,
        }
    }

    /// The name in facts files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Jdcloud => "jdcloud",
            Api::Aliyun => "aliyun",
            Api::ZenlayerVm => "zenlayer",
            Api::ZenlayerZec => "zenlayer-zec",
        }
    }

    pub fn parse(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The service's own name, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Api::ZenlayerZec => "Zenlayer Elastic Compute",
            other => other.cloud().display_name(),
        }
    }

    pub fn region_word(self) -> &'static str {
        self.cloud().region_word()
    }

    /// A region as messages name it: "aliyun region `cn-hangzhou`", "zenlayer zone `FRA-A`".
    pub fn place(self, region: &str) -> String {
        format!("{self} {} `{region}`", self.region_word())
    }

    /// Whether the API says which instance types an image allows. Zenlayer's do not: their
    /// pairings are checked for everything else.
    pub fn knows_image_constraints(self) -> bool {
        !matches!(self, Api::ZenlayerVm | Api::ZenlayerZec)
    }

    /// Whether the API has the custom-image quota. Alibaba and Zenlayer ZEC have none.
    pub fn knows_image_quota(self) -> bool {
        matches!(self, Api::Jdcloud | Api::ZenlayerVm)
    }

    /// Whether the API says the account's instance or vCPU quotas (Alibaba's
    /// `DescribeAccountAttributes`, JD's `describeQuotas`); Zenlayer's has none.
    pub fn knows_launch_quotas(self) -> bool {
        matches!(self, Api::Jdcloud | Api::Aliyun)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Api {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Api {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Api::parse(&name).ok_or_else(|| {
            serde::de::Error::unknown_variant(
                &name,
                &["jdcloud", "aliyun", "zenlayer", "zenlayer-zec"],
            )
        })
    }
}

/// How an instance is bought (a plan's `charge_type`): pay-as-you-go (`postpaid`, the default
/// everywhere), subscription (`prepaid`), or a spot instance (`spot`, pay-as-you-go at a
/// market price). What a region sells differs by it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ChargeType {
    #[default]
    Postpaid,
    Prepaid,
    Spot,
}

impl ChargeType {
    pub const ALL: [ChargeType; 3] = [ChargeType::Postpaid, ChargeType::Prepaid, ChargeType::Spot];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeType::Postpaid => "postpaid",
            ChargeType::Prepaid => "prepaid",
            ChargeType::Spot => "spot",
        }
    }

    pub fn parse(name: &str) -> Option<ChargeType> {
        ChargeType::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ChargeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_names_its_cloud_and_round_trips() {
        for api in Api::ALL {
            assert_eq!(Api::parse(api.as_str()), Some(api));
            assert_eq!(Api::of(api.cloud(), api.service()), api);
            let json = serde_json::to_string(&api).expect("serializes");
            assert_eq!(serde_json::from_str::<Api>(&json).expect("reads"), api);
        }
        assert!(serde_json::from_str::<Api>("\"gcp\"").is_err());
    }
}
