//! The Terraform resource types preflight reads, and which of their attributes it needs.

use crate::clouds::Cloud;

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
    },
    /// A custom image: counts against the region's custom-image quota.
    Image,
    /// A resource of a cloud service preflight does not ask yet; always `unverified`.
    /// `pairing` when it is an instance (it counts as a pairing), not an image.
    Unsupported { what: &'static str, pairing: bool },
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
    pub cloud: Cloud,
    pub kind: Kind,
}

impl ResourceType {
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

    /// An instance's image, instance type, zone and disk, each read by `attr` from its path;
    /// all absent for other kinds.
    pub fn instance_attrs<A>(
        &self,
        attr: impl Fn(&[&'static str]) -> A,
        absent: impl Fn() -> A,
    ) -> [A; 4] {
        match self.kind {
            Kind::Instance { .. } => {
                let read = |path: &[&'static str]| {
                    if path.is_empty() {
                        absent()
                    } else {
                        attr(path)
                    }
                };
                [
                    read(&[self.image_key()]),
                    read(&[self.instance_type_key()]),
                    self.region_from()
                        .zone()
                        .map_or_else(&absent, |z| read(&[z])),
                    read(self.disk_path()),
                ]
            }
            _ => [absent(), absent(), absent(), absent()],
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
};

/// Every resource type preflight reads; others are ignored.
pub const TYPES: &[ResourceType] = &[
    ResourceType {
        name: "alicloud_instance",
        cloud: Cloud::Aliyun,
        kind: Kind::Instance {
            image: "image_id",
            instance_type: "instance_type",
            region: RegionFrom::Provider,
            disk: &["system_disk_size"],
        },
    },
    ResourceType {
        name: "alicloud_image",
        cloud: Cloud::Aliyun,
        kind: Kind::Image,
    },
    ResourceType {
        name: "alicloud_image_copy",
        cloud: Cloud::Aliyun,
        kind: Kind::Image,
    },
    ResourceType {
        name: "jdcloud_instance",
        cloud: Cloud::Jdcloud,
        kind: Kind::Instance {
            image: "image_id",
            instance_type: "instance_type",
            region: RegionFrom::ZoneOrProvider("az"),
            disk: &["system_disk", "disk_size_gb"],
        },
    },
    ResourceType {
        name: "zenlayercloud_zvm_instance",
        cloud: Cloud::Zenlayer,
        kind: ZENLAYER_VM,
    },
    ResourceType {
        name: "zenlayercloud_instance",
        cloud: Cloud::Zenlayer,
        kind: ZENLAYER_VM,
    },
    ResourceType {
        name: "zenlayercloud_zec_instance",
        cloud: Cloud::Zenlayer,
        kind: Kind::Unsupported {
            what: "Zenlayer Elastic Compute (ZEC) instances yet; it asks only Zenlayer's VM service",
            pairing: true,
        },
    },
    ResourceType {
        name: "zenlayercloud_bmc_instance",
        cloud: Cloud::Zenlayer,
        kind: Kind::Unsupported {
            what: "Zenlayer bare-metal (BMC) instances yet; it asks only Zenlayer's VM service",
            pairing: true,
        },
    },
    ResourceType {
        name: "zenlayercloud_zec_image",
        cloud: Cloud::Zenlayer,
        kind: Kind::Unsupported {
            what: "the quota of Zenlayer Elastic Compute (ZEC) images yet; it asks only Zenlayer's VM service",
            pairing: false,
        },
    },
];

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
