//! The Terraform resource types preflight reads, and which of their attributes it needs: every
//! resource of the three providers that launches instances or makes custom images, or, for
//! the few it cannot read, a name it says it did not check.

use super::Attr;
use crate::cloud::{Api, ChargeType, Cloud};
use crate::plan::Value;

/// What an instance-like resource (an instance, an instance set, a launch template, a scaling
/// configuration) holds, and where.
#[derive(Debug)]
pub struct Launches {
    pub image: &'static str,
    pub instance_type: &'static str,
    /// A list of types, each a pairing of its own at one attribute (scaling configurations).
    pub instance_types: Option<&'static str>,
    pub region: RegionFrom,
    /// The system disk size in GB, as an attribute path (`system_disk.disk_size_gb`).
    pub disk: &'static [&'static str],
    /// The availability zone attribute, where the cloud has zones within a region.
    pub zone: Option<&'static str>,
    pub charge: ChargeFrom,
    /// How many instances one resource makes (an instance set's `amount`).
    pub amount: Option<&'static str>,
    /// The vSwitch attribute (Alibaba): the zone is the vSwitch's.
    pub vswitch: Option<&'static str>,
    /// Whether the resource launches its instances itself (not a template or a scaling
    /// configuration): they count toward the launch quotas.
    pub launches_itself: bool,
    /// The system disk's category attribute (Alibaba's category, JD's cloud disk type), and
    /// the provider's documented default when it is not set.
    pub disk_category: Option<(&'static [&'static str], Option<&'static str>)>,
    /// The security groups attribute (Alibaba instances): with it, a launch is fully known.
    pub security_groups: Option<&'static str>,
    /// Where the data disks are written (Alibaba instances).
    pub data_disks: Option<&'static DataDisks>,
    /// The group it launches in, by reference, and that group's vSwitches (a scaling
    /// configuration's `scaling_group_id`, the group's `vswitch_ids`): their zones are where
    /// it may launch.
    pub group: Option<&'static GroupRef>,
}

/// A reference to the resource whose vSwitches decide the zones.
#[derive(Debug, Clone, Copy)]
pub struct GroupRef {
    /// The attribute holding the reference (`scaling_group_id`).
    pub attr: &'static str,
    /// The referenced resource's vSwitch list (`vswitch_ids`).
    pub vswitches: &'static str,
    /// Its deprecated single vSwitch (`vswitch_id`), read when the list is not set.
    pub vswitch: Option<&'static str>,
}

impl GroupRef {
    /// The group's vSwitches, each attribute of the group read by `read`: the list, else the
    /// deprecated single one as a list of one.
    pub(crate) fn vswitches_by(&self, read: impl Fn(&'static str) -> super::Attr) -> super::Attr {
        match read(self.vswitches) {
            super::Attr::Absent => self
                .vswitch
                .map_or(super::Attr::Absent, |one| read(one).into_list()),
            found => found,
        }
    }
}

/// Data disks as a resource writes them: one block each, with a category and a size.
#[derive(Debug, Clone, Copy)]
pub struct DataDisks {
    pub block: &'static str,
    pub category: &'static str,
    pub size: &'static str,
    /// The provider's documented default category.
    pub default_category: Option<&'static str>,
}

/// What a resource type is to preflight.
#[derive(Debug)]
pub enum Kind {
    Instance(Launches),
    /// A custom image: counts against the region's custom-image quota.
    Image(ImageRegion),
    /// A resource of a cloud service preflight does not ask; always `unverified`.
    /// `pairing` when it is an instance (it counts as a pairing), not an image.
    Unsupported {
        what: &'static str,
        pairing: bool,
        /// What its `unverified` names, though it is not checked: the image, instance type and
        /// zone attributes, where it has them.
        names: Option<Names>,
    },
}

/// The attributes an unchecked resource's report names.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub image: &'static str,
    pub instance_type: &'static str,
    pub zone: &'static str,
}

/// Where a custom image's region (or zone) comes from.
#[derive(Debug, Clone, Copy)]
pub enum ImageRegion {
    /// The provider configuration's `region`.
    Provider,
    /// The zone of the instance it is made from (`instance_id = zenlayercloud_instance.x.id`).
    FromInstance {
        instance: &'static str,
        zone: &'static str,
    },
    /// None asked: the API has no image quota.
    Irrelevant,
}

/// Where an instance's charge type is written.
#[derive(Debug, Clone, Copy)]
pub enum ChargeFrom {
    /// Nowhere: the provider buys pay-as-you-go (JD Cloud, Zenlayer ZEC, Alibaba scaling).
    Postpaid,
    /// Alibaba: `instance_charge_type` (`PrePaid` | `PostPaid`) and `spot_strategy`
    /// (`NoSpot` | `SpotWithPriceLimit` | `SpotAsPriceGo`).
    Alibaba {
        charge: Option<&'static str>,
        spot: &'static str,
    },
    /// Zenlayer VM: `instance_charge_type` (`PREPAID` | `POSTPAID`).
    Zenlayer(&'static str),
}

/// An instance resource's attributes, each read the same way.
pub struct InstanceAttrs<A> {
    pub image: A,
    pub instance_type: A,
    /// The list of types, where the resource has one.
    pub instance_types: A,
    /// The attribute the region (Zenlayer: the zone) comes from.
    pub region_zone: A,
    pub disk: A,
    pub zone: A,
    pub charge: A,
    pub spot: A,
    pub amount: A,
    pub vswitch: A,
    pub disk_category: A,
    pub security_groups: A,
    /// The reference to the group whose vSwitches decide the zones (`GroupRef::attr`).
    pub group: A,
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

    /// Whether its instances count as pairings (an image does not).
    pub fn is_pairing(&self) -> bool {
        matches!(
            self.kind,
            Kind::Instance(_) | Kind::Unsupported { pairing: true, .. }
        )
    }

    pub fn launches(&self) -> Option<&Launches> {
        match &self.kind {
            Kind::Instance(l) => Some(l),
            _ => None,
        }
    }

    pub fn image_key(&self) -> &'static str {
        self.launches().map_or("image_id", |l| l.image)
    }

    pub fn instance_type_key(&self) -> &'static str {
        self.launches().map_or("instance_type", |l| l.instance_type)
    }

    pub fn region_from(&self) -> RegionFrom {
        self.launches().map_or(RegionFrom::Provider, |l| l.region)
    }

    /// The charge type's attributes (`""` where there is none).
    pub fn charge_keys(&self) -> (&'static str, &'static str) {
        match self.launches().map(|l| l.charge) {
            Some(ChargeFrom::Alibaba { charge, spot }) => (charge.unwrap_or(""), spot),
            Some(ChargeFrom::Zenlayer(charge)) => (charge, ""),
            _ => ("", ""),
        }
    }

    /// Every attribute path an instance-like resource reads, by role.
    pub fn attribute_paths(&self) -> InstanceAttrs<Vec<&'static str>> {
        let one = |k: Option<&'static str>| k.filter(|k| !k.is_empty()).into_iter().collect();
        if let Kind::Unsupported { names: Some(n), .. } = &self.kind {
            return InstanceAttrs {
                image: vec![n.image],
                instance_type: vec![n.instance_type],
                instance_types: Vec::new(),
                region_zone: vec![n.zone],
                disk: Vec::new(),
                zone: Vec::new(),
                charge: Vec::new(),
                spot: Vec::new(),
                amount: Vec::new(),
                vswitch: Vec::new(),
                disk_category: Vec::new(),
                security_groups: Vec::new(),
                group: Vec::new(),
            };
        }
        let Some(l) = self.launches() else {
            return InstanceAttrs {
                image: Vec::new(),
                instance_type: Vec::new(),
                instance_types: Vec::new(),
                region_zone: Vec::new(),
                disk: Vec::new(),
                zone: Vec::new(),
                charge: Vec::new(),
                spot: Vec::new(),
                amount: Vec::new(),
                vswitch: Vec::new(),
                disk_category: Vec::new(),
                security_groups: Vec::new(),
                group: Vec::new(),
            };
        };
        let (charge, spot) = self.charge_keys();
        InstanceAttrs {
            image: one(Some(l.image)),
            instance_type: one(Some(l.instance_type)),
            instance_types: one(l.instance_types),
            region_zone: one(l.region.zone()),
            disk: l.disk.to_vec(),
            zone: one(l.zone),
            charge: one(Some(charge)),
            spot: one(Some(spot)),
            amount: one(l.amount),
            vswitch: one(l.vswitch),
            disk_category: l.disk_category.map(|(p, _)| p.to_vec()).unwrap_or_default(),
            security_groups: one(l.security_groups),
            group: one(l.group.map(|g| g.attr)),
        }
    }

    /// An instance's attributes, each read by `attr` from its path; absent where the
    /// resource has no such attribute (and for other kinds).
    pub fn instance_attrs<A>(
        &self,
        attr: impl Fn(&[&'static str]) -> A,
        absent: impl Fn() -> A,
    ) -> InstanceAttrs<A> {
        let read = |path: Vec<&'static str>| {
            if path.is_empty() {
                absent()
            } else {
                attr(&path)
            }
        };
        let p = self.attribute_paths();
        InstanceAttrs {
            image: read(p.image),
            instance_type: read(p.instance_type),
            instance_types: read(p.instance_types),
            region_zone: read(p.region_zone),
            disk: read(p.disk),
            zone: read(p.zone),
            charge: read(p.charge),
            spot: read(p.spot),
            amount: read(p.amount),
            vswitch: read(p.vswitch),
            disk_category: read(p.disk_category),
            security_groups: read(p.security_groups),
            group: read(p.group),
        }
    }
}

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

const ALIBABA_CHARGE: ChargeFrom = ChargeFrom::Alibaba {
    charge: Some("instance_charge_type"),
    spot: "spot_strategy",
};

const ZENLAYER_VM: Kind = Kind::Instance(Launches {
    image: "image_id",
    instance_type: "instance_type",
    instance_types: None,
    region: RegionFrom::Zone("availability_zone"),
    disk: &["system_disk_size"],
    zone: None,
    charge: ChargeFrom::Zenlayer("instance_charge_type"),
    amount: None,
    vswitch: None,
    launches_itself: true,
    disk_category: None,
    security_groups: None,
    group: None,
    data_disks: None,
});

/// Alibaba's launch template; the other Alibaba resources differ from it in a field or two.
const ALIBABA_TEMPLATE: Launches = Launches {
    image: "image_id",
    instance_type: "instance_type",
    instance_types: None,
    region: RegionFrom::Provider,
    disk: &["system_disk", "size"],
    zone: Some("zone_id"),
    charge: ALIBABA_CHARGE,
    amount: None,
    vswitch: Some("vswitch_id"),
    launches_itself: false,
    // The default of `system_disk.category` here is not documented: absent, not checked.
    disk_category: Some((&["system_disk", "category"], None)),
    security_groups: None,
    group: None,
    // `data_disks` blocks: `category` (no documented default), `size`.
    data_disks: Some(&DataDisks {
        block: "data_disks",
        category: "category",
        size: "size",
        default_category: None,
    }),
};

const ZENLAYER_VM_IMAGE: Kind = Kind::Image(ImageRegion::FromInstance {
    instance: "instance_id",
    zone: "availability_zone",
});

/// Every resource type preflight reads; others are ignored.
pub const TYPES: &[ResourceType] = &[
    ResourceType {
        name: "alicloud_instance",
        api: Api::Aliyun,
        kind: Kind::Instance(Launches {
            disk: &["system_disk_size"],
            // With `vswitch_id`, the zone is the vSwitch's: `availability_zone` "is ignored".
            zone: Some("availability_zone"),
            launches_itself: true,
            // "Default to `cloud_efficiency`" (the provider's docs, as the API's own default).
            disk_category: Some((&["system_disk_category"], Some("cloud_efficiency"))),
            security_groups: Some("security_groups"),
            group: None,
            // `data_disks` blocks: `category` "Default to `cloud_efficiency`", `size` required.
            data_disks: Some(&DataDisks {
                block: "data_disks",
                category: "category",
                size: "size",
                default_category: Some("cloud_efficiency"),
            }),
            ..ALIBABA_TEMPLATE
        }),
    },
    ResourceType {
        name: "alicloud_ecs_instance_set",
        api: Api::Aliyun,
        kind: Kind::Instance(Launches {
            amount: Some("amount"),
            launches_itself: true,
            security_groups: Some("security_group_ids"),
            group: None,
            // The provider's schema: `system_disk_category` and `system_disk_size` (no
            // default), `data_disks` blocks with `disk_category` and `disk_size`.
            disk: &["system_disk_size"],
            disk_category: Some((&["system_disk_category"], None)),
            data_disks: Some(&DataDisks {
                block: "data_disks",
                category: "disk_category",
                size: "disk_size",
                default_category: None,
            }),
            ..ALIBABA_TEMPLATE
        }),
    },
    ResourceType {
        name: "alicloud_ecs_launch_template",
        api: Api::Aliyun,
        kind: Kind::Instance(ALIBABA_TEMPLATE),
    },
    ResourceType {
        name: "alicloud_launch_template",
        api: Api::Aliyun,
        kind: Kind::Instance(Launches {
            disk: &["system_disk_size"],
            disk_category: Some((&["system_disk_category"], None)),
            // `data_disks` `category`: "Default to `cloud_efficiency`".
            data_disks: Some(&DataDisks {
                block: "data_disks",
                category: "category",
                size: "size",
                default_category: Some("cloud_efficiency"),
            }),
            ..ALIBABA_TEMPLATE
        }),
    },
    ResourceType {
        name: "alicloud_ess_scaling_configuration",
        api: Api::Aliyun,
        kind: Kind::Instance(Launches {
            instance_types: Some("instance_types"),
            disk: &["system_disk_size"],
            // The scaling group's vSwitches decide the zones.
            zone: None,
            vswitch: None,
            // `alicloud_ess_scaling_group`: `vswitch_ids`, or the deprecated `vswitch_id`
            // (the provider's schema: "deprecated from provider version 1.7.1").
            group: Some(&GroupRef {
                attr: "scaling_group_id",
                vswitches: "vswitch_ids",
                vswitch: Some("vswitch_id"),
            }),
            // Its data disks are not read.
            data_disks: None,
            // The schema's `Default: DiskCloudEfficiency` (`resource_alicloud_ess_scaling_configuration.go`).
            disk_category: Some((&["system_disk_category"], Some("cloud_efficiency"))),
            charge: ChargeFrom::Alibaba {
                charge: None,
                spot: "spot_strategy",
            },
            ..ALIBABA_TEMPLATE
        }),
    },
    ResourceType {
        name: "alicloud_image",
        api: Api::Aliyun,
        kind: Kind::Image(ImageRegion::Provider),
    },
    ResourceType {
        name: "alicloud_image_copy",
        api: Api::Aliyun,
        kind: Kind::Image(ImageRegion::Provider),
    },
    // An image imported from OSS: a custom image like any other.
    ResourceType {
        name: "alicloud_image_import",
        api: Api::Aliyun,
        kind: Kind::Image(ImageRegion::Provider),
    },
    ResourceType {
        name: "jdcloud_instance",
        api: Api::Jdcloud,
        kind: Kind::Instance(Launches {
            image: "image_id",
            instance_type: "instance_type",
            instance_types: None,
            region: RegionFrom::ZoneOrProvider("az"),
            disk: &["system_disk", "disk_size_gb"],
            zone: Some("az"),
            charge: ChargeFrom::Postpaid,
            amount: None,
            vswitch: None,
            launches_itself: true,
            // JD names the system disk's type in `disk_type` (ssd.gp1, …); no default is checked:
            // the image decides whether the system disk is a cloud disk at all.
            disk_category: Some((&["system_disk", "disk_type"], None)),
            security_groups: None,
            group: None,
            // `data_disk` blocks, each a cloud disk (`disk_type`, `disk_size_gb`); no default.
            data_disks: Some(&DataDisks {
                block: "data_disk",
                category: "disk_type",
                size: "disk_size_gb",
                default_category: None,
            }),
        }),
    },
    ResourceType {
        name: "jdcloud_instance_template",
        api: Api::Jdcloud,
        kind: Kind::Instance(Launches {
            image: "image_id",
            instance_type: "instance_type",
            instance_types: None,
            region: RegionFrom::Provider,
            disk: &["system_disk", "disk_size_gb"],
            zone: None,
            charge: ChargeFrom::Postpaid,
            amount: None,
            vswitch: None,
            launches_itself: false,
            disk_category: None,
            security_groups: None,
            group: None,
            data_disks: None,
        }),
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
        name: "zenlayercloud_zvm_image",
        api: Api::ZenlayerVm,
        kind: ZENLAYER_VM_IMAGE,
    },
    ResourceType {
        name: "zenlayercloud_image",
        api: Api::ZenlayerVm,
        kind: ZENLAYER_VM_IMAGE,
    },
    ResourceType {
        name: "zenlayercloud_zec_instance",
        api: Api::ZenlayerZec,
        kind: Kind::Instance(Launches {
            image: "image_id",
            instance_type: "instance_type",
            instance_types: None,
            region: RegionFrom::Zone("availability_zone"),
            disk: &["system_disk_size"],
            zone: None,
            charge: ChargeFrom::Postpaid,
            amount: None,
            vswitch: None,
            launches_itself: true,
            // Optional and computed; a default is documented in one generated binding only:
            // absent, not checked.
            disk_category: Some((&["system_disk_category"], None)),
            security_groups: None,
            group: None,
            data_disks: None,
        }),
    },
    ResourceType {
        name: "zenlayercloud_zec_image",
        api: Api::ZenlayerZec,
        kind: Kind::Image(ImageRegion::Irrelevant),
    },
    ResourceType {
        name: "zenlayercloud_zec_image_copy",
        api: Api::ZenlayerZec,
        kind: Kind::Image(ImageRegion::Irrelevant),
    },
    ResourceType {
        name: "zenlayercloud_bmc_instance",
        api: Api::ZenlayerVm,
        kind: Kind::Unsupported {
            what: "Zenlayer bare-metal (BMC) instances: it does not ask Zenlayer's BMC service",
            pairing: true,
            // terraform-provider-zenlayercloud's resource_zenlayercloud_bmc_instance.go.
            names: Some(Names {
                image: "image_id",
                instance_type: "instance_type_id",
                zone: "availability_zone",
            }),
        },
    },
];

/// Resources that launch instances and that preflight does not read: they are named in a
/// note, never passed in silence.
pub const NOT_CHECKED: &[&str] = &[
    "alicloud_cs_kubernetes_node_pool",
    "alicloud_cs_managed_kubernetes",
    "alicloud_cs_kubernetes",
    "alicloud_auto_provisioning_group",
    "alicloud_ecs_dedicated_host",
    "alicloud_ecs_elasticity_assurance",
    "jdcloud_instance_ag_instance",
];

pub fn lookup(name: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| t.name == name)
}

/// The environment variables the cloud's Terraform provider reads its region from, in its
/// order. The JD provider's is literally `region` (`schema.EnvDefaultFunc("region", nil)` in
/// terraform-provider-jdcloud's provider.go); no JD tool reads `JDCLOUD_REGION`.
pub fn region_vars(cloud: Cloud) -> &'static [&'static str] {
    match cloud {
        Cloud::Aliyun => &["ALICLOUD_REGION", "ALIBABA_CLOUD_REGION"],
        Cloud::Jdcloud => &["region"],
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
