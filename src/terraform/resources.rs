//! The Terraform resource types preflight reads, and which of their attributes it needs.

use super::Attr;
use crate::cloud::{Api, ChargeType, Cloud};
use crate::plan::Value;

/// What a resource type is to preflight.
#[derive(Debug)]
pub enum Kind {
    /// An instance: an (image, instance type) pairing in a region.
    Instance {
        image: &'static str,
        instance_type: &'static str,
        region: RegionFrom,
        /// The system disk size in GB, as an attribute path (`system_disk.disk_size_gb`).
        disk: &'static [&'static str],
        /// The availability zone attribute, where the cloud has zones within a region.
        zone: Option<&'static str>,
        charge: ChargeFrom,
    },
    /// A custom image: counts against the region's custom-image quota.
    Image,
    /// A resource of a cloud service preflight does not ask yet; always `unverified`.
    /// `pairing` when it is an instance (it counts as a pairing), not an image.
    Unsupported { what: &'static str, pairing: bool },
}

/// Where an instance's charge type is written.
#[derive(Debug, Clone, Copy)]
pub enum ChargeFrom {
    /// Nowhere: the provider buys pay-as-you-go (JD Cloud, Zenlayer ZEC).
    Postpaid,
    /// Alibaba: `instance_charge_type` (`PrePaid` | `PostPaid`) and `spot_strategy`
    /// (`NoSpot` | `SpotWithPriceLimit` | `SpotAsPriceGo`).
    Alibaba {
        charge: &'static str,
        spot: &'static str,
    },
    /// Zenlayer VM: `instance_charge_type` (`PREPAID` | `POSTPAID`).
    Zenlayer(&'static str),
}

/// An instance resource's attributes, each read the same way.
pub struct InstanceAttrs<A> {
    pub image: A,
    pub instance_type: A,
    /// The attribute the region (Zenlayer: the zone) comes from.
    pub region_zone: A,
    pub disk: A,
    pub zone: A,
    pub charge: A,
    pub spot: A,
}

/// Where an instance's region (for Zenlayer its zone) comes from.
#[derive(Debug, Clone, Copy)]
pub enum RegionFrom {
    /// The provider configuration's `region`.
    Provider,
    /// A zone attribute that is itself the plan's region (Zenlayer zones).
    Zone(&'static str),
    /// A zone attribute whose region is the zone without its letter (JD Cloud `az`), else
    /// the provider configuration.
    ZoneOrProvider(&'static str),
}

impl RegionFrom {
    pub fn zone(self) -> Option<&'static str> {
        match self {
            RegionFrom::Provider => None,
            RegionFrom::Zone(key) | RegionFrom::ZoneOrProvider(key) => Some(key),
        }
    }
}

#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub api: Api,
    pub kind: Kind,
}

impl ResourceType {
    pub fn cloud(&self) -> Cloud {
        self.api.cloud()
    }

    pub fn image_key(&self) -> &'static str {
        match self.kind {
            Kind::Instance { image, .. } => image,
            _ => "image_id",
        }
    }

    pub fn instance_type_key(&self) -> &'static str {
        match self.kind {
            Kind::Instance { instance_type, .. } => instance_type,
            _ => "instance_type",
        }
    }

    pub fn region_from(&self) -> RegionFrom {
        match self.kind {
            Kind::Instance { region, .. } => region,
            _ => RegionFrom::Provider,
        }
    }

    /// An instance's attributes, each read by `attr` from its path; all absent for other kinds
    /// (and where the resource has no such attribute).
    pub fn instance_attrs<A>(
        &self,
        attr: impl Fn(&[&'static str]) -> A,
        absent: impl Fn() -> A,
    ) -> InstanceAttrs<A> {
        let read = |key: Option<&'static str>| key.map_or_else(&absent, |k| attr(&[k]));
        match self.kind {
            Kind::Instance { zone, charge, .. } => {
                let (charge, spot) = match charge {
                    ChargeFrom::Postpaid => (None, None),
                    ChargeFrom::Alibaba { charge, spot } => (Some(charge), Some(spot)),
                    ChargeFrom::Zenlayer(charge) => (Some(charge), None),
                };
                let disk = self.disk_path();
                InstanceAttrs {
                    image: read(Some(self.image_key())),
                    instance_type: read(Some(self.instance_type_key())),
                    region_zone: read(self.region_from().zone()),
                    disk: if disk.is_empty() {
                        absent()
                    } else {
                        attr(disk)
                    },
                    zone: read(zone),
                    charge: read(charge),
                    spot: read(spot),
                }
            }
            _ => InstanceAttrs {
                image: absent(),
                instance_type: absent(),
                region_zone: absent(),
                disk: absent(),
                zone: absent(),
                charge: absent(),
                spot: absent(),
            },
        }
    }

    /// The availability-zone attribute, where the cloud has zones within a region.
    pub fn zone_key(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Instance { zone, .. } => zone,
            _ => None,
        }
    }

    /// The charge type's attributes (`""` where there is none).
    pub fn charge_keys(&self) -> (&'static str, &'static str) {
        match self.kind {
            Kind::Instance {
                charge: ChargeFrom::Alibaba { charge, spot },
                ..
            } => (charge, spot),
            Kind::Instance {
                charge: ChargeFrom::Zenlayer(charge),
                ..
            } => (charge, ""),
            _ => ("", ""),
        }
    }

    pub fn disk_path(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Instance { disk, .. } => disk,
            _ => &[],
        }
    }
}

const ZENLAYER_VM: Kind = Kind::Instance {
    image: "image_id",
    instance_type: "instance_type",
    region: RegionFrom::Zone("availability_zone"),
    disk: &["system_disk_size"],
    zone: None,
    charge: ChargeFrom::Zenlayer("instance_charge_type"),
};

/// Every resource type preflight reads; others are ignored.
pub const TYPES: &[ResourceType] = &[
    ResourceType {
        name: "alicloud_instance",
        api: Api::Aliyun,
        kind: Kind::Instance {
            image: "image_id",
            instance_type: "instance_type",
            region: RegionFrom::Provider,
            disk: &["system_disk_size"],
            // Given only `vswitch_id`, the zone is unknown and the region's answer applies.
            zone: Some("availability_zone"),
            charge: ChargeFrom::Alibaba {
                charge: "instance_charge_type",
                spot: "spot_strategy",
            },
        },
    },
    ResourceType {
        name: "alicloud_image",
        api: Api::Aliyun,
        kind: Kind::Image,
    },
    ResourceType {
        name: "alicloud_image_copy",
        api: Api::Aliyun,
        kind: Kind::Image,
    },
    ResourceType {
        name: "jdcloud_instance",
        api: Api::Jdcloud,
        kind: Kind::Instance {
            image: "image_id",
            instance_type: "instance_type",
            region: RegionFrom::ZoneOrProvider("az"),
            disk: &["system_disk", "disk_size_gb"],
            zone: Some("az"),
            charge: ChargeFrom::Postpaid,
        },
    },
    ResourceType {
        name: "zenlayercloud_zvm_instance",
        api: Api::ZenlayerVm,
        kind: ZENLAYER_VM,
    },
    ResourceType {
        name: "zenlayercloud_instance",
        api: Api::ZenlayerVm,
        kind: ZENLAYER_VM,
    },
    ResourceType {
        name: "zenlayercloud_zec_instance",
        api: Api::ZenlayerZec,
        kind: Kind::Instance {
            image: "image_id",
            instance_type: "instance_type",
            region: RegionFrom::Zone("availability_zone"),
            disk: &["system_disk_size"],
            zone: None,
            charge: ChargeFrom::Postpaid,
        },
    },
    ResourceType {
        name: "zenlayercloud_zec_image",
        api: Api::ZenlayerZec,
        kind: Kind::Image,
    },
    ResourceType {
        name: "zenlayercloud_zec_image_copy",
        api: Api::ZenlayerZec,
        kind: Kind::Image,
    },
    ResourceType {
        name: "zenlayercloud_bmc_instance",
        api: Api::ZenlayerVm,
        kind: Kind::Unsupported {
            what: "Zenlayer bare-metal (BMC) instances: it does not ask Zenlayer's BMC service",
            pairing: true,
        },
    },
];

/// The charge type the attributes say: spot when a spot strategy other than `NoSpot` is set,
/// prepaid for `PrePaid` / `PREPAID`, else the providers' default, postpaid.
pub fn charge_type(charge: &Attr, spot: &Attr) -> Option<Value<ChargeType>> {
    if let Attr::Known { value, span, .. } = spot
        && !value.is_empty()
        && !value.eq_ignore_ascii_case("NoSpot")
    {
        return Some(Value {
            value: ChargeType::Spot,
            span: *span,
        });
    }
    match charge {
        Attr::Known { value, span, .. } if !value.is_empty() => Some(Value {
            value: if value.eq_ignore_ascii_case("prepaid") {
                ChargeType::Prepaid
            } else {
                ChargeType::Postpaid
            },
            span: *span,
        }),
        _ => None,
    }
}

pub fn lookup(name: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| t.name == name)
}

/// The environment variables the cloud's Terraform provider reads its region from.
pub fn region_vars(cloud: Cloud) -> &'static [&'static str] {
    match cloud {
        Cloud::Aliyun => &["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"],
        Cloud::Jdcloud => &["JDCLOUD_REGION"],
        Cloud::Zenlayer => &[],
    }
}

/// The cloud's Terraform provider name (`provider "alicloud" {}`).
pub fn provider_name(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aliyun => "alicloud",
        Cloud::Jdcloud => "jdcloud",
        Cloud::Zenlayer => "zenlayercloud",
    }
}
