//! A fake of the three clouds on loopback, for end-to-end tests of the real binary.
//!
//! One server answers JD Cloud (`GET /v1/regions/…`), Alibaba ECS (`POST /` with
//! `x-acs-action`) and Zenlayer (`POST /api/v2/vm` and `/api/v2/zec` with `x-zc-action`) in
//! the response shapes the official SDKs model, with switches where readings differ (one id
//! per Alibaba `DescribeImages`, what an empty `ImageOwnerAlias` covers). It recomputes the signature of every request from what actually arrived
//! and answers a bad one with the cloud's own auth error; it records each request's
//! operation; and it can inject faults (status codes, throttling, hangs, resets, garbage) and
//! latency per operation.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use preflight::clouds::aliyun::sign as ali;
use preflight::clouds::jdcloud::sign as jd;
use preflight::clouds::sign::decode_query_component;
use preflight::clouds::zenlayer::sign as zl;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const JD_AK: &str = "JDAKfake0001";
pub const JD_SK: &str = "JD-SECRET-do-not-print-7f3a";
pub const ALI_AK: &str = "LTAIfake0001";
pub const ALI_SK: &str = "ALI-SECRET-do-not-print-9c1b";
pub const ZL_AK: &str = "ZLAKfake0001";
pub const ZL_SK: &str = "ZL-SECRET-do-not-print-2d8e";

/// What the fake answers instead of the real thing, once per request, in order.
#[derive(Clone, Debug)]
pub enum Fault {
    /// This HTTP status with this body (and extra headers).
    Status(u16, String, Vec<(String, String)>),
    /// Accept the request and never answer.
    Hang,
    /// Close the connection without answering.
    Reset,
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with valid JSON of the wrong shape.
    WrongShape,
    /// 200 with a valid JSON body of this many MiB.
    Huge(usize),
    /// Headers promise 1,000 bytes; 10 arrive, then the connection closes.
    Truncated,
}

/// Zone → instance type → `Available` | `SoldOut`.
type Zones = BTreeMap<String, BTreeMap<String, String>>;

/// Zone → (system disk category, min GiB, max GiB).
type DiskZones = BTreeMap<String, Vec<(String, u32, u32)>>;

/// (category, min GiB, max GiB) as the fake keeps them.
fn owned_disks(disks: &[(&str, u32, u32)]) -> Vec<(String, u32, u32)> {
    disks
        .iter()
        .map(|(c, a, b)| (c.to_string(), *a, *b))
        .collect()
}

/// An HTTP answer: status, body, extra headers.
type Reply = (u16, String, Vec<(String, String)>);

#[derive(Default)]
struct World {
    /// (cloud, region) → image id → the cloud's own JSON for it.
    images: BTreeMap<(String, String), BTreeMap<String, Value>>,
    /// JD: image id → imageInstanceTypeConstraint JSON. Alibaba: image id → supported types.
    constraints: BTreeMap<(String, String), BTreeMap<String, Value>>,
    /// (cloud, region) → type → the cloud's own JSON for it. Alibaba's catalogue is global:
    /// its types live under region "".
    types: BTreeMap<(String, String), BTreeMap<String, Value>>,
    /// Alibaba `DescribeAvailableResource`: region → charge (`PostPaid`, `PrePaid`, `Spot`) →
    /// zone → type → `Available` | `SoldOut`.
    ali_available: BTreeMap<String, BTreeMap<String, Zones>>,
    /// Alibaba answers a comma list of image ids with nothing (the SDK's one-id reading).
    ali_single_image_id: bool,
    /// Alibaba refuses a comma list of image ids (HTTP 400 `InvalidImageId.Malformed`).
    ali_refuse_image_lists: bool,
    /// Alibaba's empty `ImageOwnerAlias` returns every image, Marketplace and community too
    /// (a lenient reading; the SDK's is that it returns system, self and shared only).
    ali_lenient_owner: bool,
    /// Alibaba VPC `DescribeVSwitches`: region → vSwitch id → (zone, VPC id).
    ali_vswitches: BTreeMap<String, BTreeMap<String, (String, String)>>,
    /// VPC answers an unknown vSwitch id with `InvalidVSwitchId.NotFound` (HTTP 404) instead of
    /// an empty listing (the SDK's model leaves it open).
    ali_vswitch_not_found_code: bool,
    /// Zenlayer VM: zone → type → the charge types it is sold for.
    zl_charges: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// ZEC: zone → (call, type JSON).
    zec_types: BTreeMap<String, Vec<(String, Value)>>,
    /// (cloud, region) the cloud does not know: every request about it fails as the cloud's
    /// unknown-region answer.
    unknown_regions: std::collections::HashSet<(String, String)>,
    /// (cloud, region) → (used, limit).
    quotas: BTreeMap<(String, String), (u32, u32)>,
    /// (cloud, region) → launch quota name (`instance`, `instance_cpu`, `instance_memory` in
    /// MB; Alibaba `postpaid-vcpu`, `spot-vcpu`) → (used, limit). Unset: 0 used of a large
    /// limit.
    launch_quotas: BTreeMap<(String, String), BTreeMap<String, (u32, u32)>>,
    /// Alibaba `DescribeAvailableResource` for `SystemDisk`: (region, charge, type) → zone →
    /// (category, min, max). Unset: `cloud_efficiency` and `cloud_essd`, 20–2048 GiB, in
    /// every zone that sells the type.
    ali_disks: BTreeMap<(String, String, String), DiskZones>,
    /// Alibaba data disks: (region, charge, type, system disk category) → zone → disks.
    ali_data_disks: BTreeMap<(String, String, String, String), DiskZones>,
    /// Zenlayer: the zones the account has (`DescribeImageQuota` lists only these); unset,
    /// every zone asked about.
    zl_account_zones: Option<Vec<String>>,
    /// Alibaba refuses `RunInstances` to the key (`Forbidden.RAM`): no `ecs:RunInstances`.
    ali_run_forbidden: bool,
    /// A refusal every dry run gets (after the permission check): a limit only the launch
    /// path knows, such as `QuotaExceed.ElasticQuota`.
    ali_run_refusal: Option<(String, String)>,
    /// Zenlayer `DescribeDiskCategory`: (service, zone, charge or "" for ZEC) → categories.
    /// Unset: `Standard NVMe SSD` and `Basic NVMe SSD`.
    zl_disk_categories: BTreeMap<(String, String, String), Vec<String>>,
    /// Alibaba `instance-network-type` per region; unset: `vpc` only.
    ali_networks: BTreeMap<String, Vec<String>>,
    /// Alibaba writes a vCPU count in `Count` and leaves `Value` empty (the model does not
    /// say which field holds it).
    ali_number_in_count: bool,
    /// JD states `instance_memory` in GB (the set MB / 1024) rather than MB: neither the SDK
    /// model nor JD's documentation says which.
    jd_memory_in_gb: bool,
    faults: HashMap<String, VecDeque<Fault>>,
    /// Faults that apply to every request of an operation.
    always: HashMap<String, Fault>,
    latency: Duration,
    /// When set, list answers hold at most this many items per page, whatever was asked.
    max_page: Option<usize>,
    /// Every request's operation, in arrival order.
    log: Vec<String>,
    bad_signatures: usize,
    /// Alibaba requests that carried `x-acs-security-token` and listed it as signed.
    signed_token_requests: usize,
    /// Per operation: a token bucket of (requests per second, tokens, last refill), as the
    /// clouds' API rate limits work; past it, the cloud's own throttling error.
    buckets: HashMap<String, (f64, f64, std::time::Instant)>,
    /// Requests per second every operation of a cloud allows (`cloud` → rate).
    cloud_rates: HashMap<String, f64>,
    throttled: usize,
    throttled_ops: HashMap<String, usize>,
    /// Alibaba keys the fake accepts: id → (secret, the STS token it must come with).
    ali_keys: HashMap<String, (String, Option<String>)>,
    /// STS: roles that can be assumed (ARN → the account's id), and OIDC tokens it accepts.
    sts_roles: HashMap<String, String>,
    oidc_tokens: Vec<String>,
    /// Every temporary key STS, the metadata service or the URI handed out.
    issued: usize,
    /// The ECS metadata service: the instance's role, and whether it wants a session token.
    ecs_role: Option<(String, bool)>,
    /// What the credentials URI answers with (a temporary key), when set.
    credentials_uri: bool,
}

#[derive(Clone)]
pub struct FakeCloud {
    world: Arc<Mutex<World>>,
    pub addr: String,
}

impl FakeCloud {
    pub async fn start() -> FakeCloud {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr").to_string();
        let mut world = World::default();
        world
            .ali_keys
            .insert(ALI_AK.to_string(), (ALI_SK.to_string(), None));
        let fake = FakeCloud {
            world: Arc::new(Mutex::new(world)),
            addr,
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        fake
    }

    /// Environment for the binary: endpoints pointing here and the fake's credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        let url = format!("http://{}", self.addr);
        vec![
            ("PREFLIGHT_JDCLOUD_ENDPOINT".into(), url.clone()),
            ("PREFLIGHT_ALIYUN_ENDPOINT".into(), url.clone()),
            ("PREFLIGHT_ZENLAYER_ENDPOINT".into(), url),
            ("JDCLOUD_ACCESS_KEY".into(), JD_AK.into()),
            ("JDCLOUD_SECRET_KEY".into(), JD_SK.into()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), ALI_AK.into()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(), ALI_SK.into()),
            ("ZENLAYER_ACCESS_KEY_ID".into(), ZL_AK.into()),
            ("ZENLAYER_ACCESS_KEY_SECRET".into(), ZL_SK.into()),
        ]
    }

    /// A role STS lets the fake's key (and the keys it issues) assume, in account `account`.
    pub fn sts_role(&self, arn: &str, account: &str) {
        self.with(|w| w.sts_roles.insert(arn.to_string(), account.to_string()));
    }

    /// An OIDC token STS accepts for `AssumeRoleWithOIDC`.
    pub fn oidc_token(&self, token: &str) {
        self.with(|w| w.oidc_tokens.push(token.to_string()));
    }

    /// The ECS metadata service knows this instance's role; `hardened`: it answers only with a
    /// session token, else it has no token endpoint (an older service: plain GETs).
    pub fn ecs_role(&self, name: &str, hardened: bool) {
        self.with(|w| w.ecs_role = Some((name.to_string(), hardened)));
    }

    /// The credentials URI (`/credentials-uri`) hands out temporary keys.
    pub fn credentials_uri(&self) {
        self.with(|w| w.credentials_uri = true);
    }

    /// How many temporary keys were handed out.
    pub fn issued(&self) -> usize {
        self.with(|w| w.issued)
    }

    /// Environment pointing STS and the metadata service here.
    pub fn credential_services(&self) -> Vec<(String, String)> {
        let url = format!("http://{}", self.addr);
        vec![
            ("PREFLIGHT_ALIYUN_STS_ENDPOINT".into(), url.clone()),
            ("PREFLIGHT_ALIYUN_METADATA_ENDPOINT".into(), url),
        ]
    }

    /// STS's v1 signature, recomputed; the key and its token must be ones the fake knows.
    fn verify_sts(&self, req: &Request) -> Result<(), Reply> {
        let q = req.query_pairs();
        let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if get("Action").as_deref() == Some("AssumeRoleWithOIDC") {
            // Unsigned: the token is the proof.
            return if get("Signature").is_none() && get("AccessKeyId").is_none() {
                Ok(())
            } else {
                Err((400, json!({"RequestId": "fake", "Code": "InvalidParameter", "Message": "AssumeRoleWithOIDC is not signed"}).to_string(), vec![]))
            };
        }
        let refuse = |code: &str| {
            Err((
                400,
                json!({"RequestId": "fake", "Code": code, "Message": "refused"}).to_string(),
                vec![],
            ))
        };
        let Some(id) = get("AccessKeyId") else {
            return refuse("MissingAccessKeyId");
        };
        let Some((secret, token)) = self.with(|w| w.ali_keys.get(&id).cloned()) else {
            return refuse("InvalidAccessKeyId.NotFound");
        };
        if token.is_some() && get("SecurityToken") != token {
            return refuse("InvalidSecurityToken.Mismatch");
        }
        let unsigned: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k != "Signature")
            .cloned()
            .collect();
        let (_, expected) = ali::sign_v1(&secret, "GET", &unsigned);
        if get("Signature").as_deref() == Some(expected.as_str())
            && get("SignatureMethod").as_deref() == Some("HMAC-SHA1")
        {
            Ok(())
        } else {
            refuse("SignatureDoesNotMatch")
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().expect("world lock"))
    }

    // --- the world -------------------------------------------------------------------------

    pub fn jd_image(
        &self,
        region: &str,
        id: &str,
        status: &str,
        arch: &str,
        disk: u32,
        constraint: Option<(&str, &[&str])>,
    ) {
        self.with(|w| {
            w.images.entry(("jdcloud".into(), region.into())).or_default().insert(
                id.into(),
                json!({"imageId": id, "name": "test image", "status": status, "architecture": arch,
                       "systemDiskSizeGB": disk, "imageSource": "public", "osType": "linux", "offline": false}),
            );
            if let Some((kind, types)) = constraint {
                w.constraints.entry(("jdcloud".into(), region.into())).or_default().insert(
                    id.into(),
                    json!({"constraintsType": kind, "instanceTypes": types}),
                );
            }
        });
    }

    pub fn jd_type(&self, region: &str, name: &str, arch: &str) {
        self.with(|w| {
            w.types.entry(("jdcloud".into(), region.into())).or_default().insert(
                name.into(),
                json!({"family": "g.n4", "instanceType": name, "cpu": 4, "memoryMB": 16384,
                       "architecture": arch, "state": [{"az": format!("{region}a"), "inStock": true}]}),
            );
        });
    }

    /// The cloud disk types (`cloudDiskTypes`) a JD type added before takes; without this the
    /// answer lists none, as the SDK model allows (the field is optional).
    pub fn jd_cloud_disk_types(&self, region: &str, name: &str, types: &[&str]) {
        self.set_jd_type_field(region, name, "cloudDiskTypes", json!(types));
    }

    /// How many cloud disks (`cloudDiskCountLimit`, the system disk included) a JD type added
    /// before takes; without this the answer does not say, as the SDK model allows.
    pub fn jd_cloud_disk_limit(&self, region: &str, name: &str, limit: u32) {
        self.set_jd_type_field(region, name, "cloudDiskCountLimit", json!(limit));
    }

    fn set_jd_type_field(&self, region: &str, name: &str, field: &str, value: Value) {
        self.with(|w| {
            let t = w
                .types
                .get_mut(&("jdcloud".to_string(), region.to_string()))
                .and_then(|types| types.get_mut(name))
                .expect("the JD type is added first");
            t[field] = value;
        });
    }

    /// A JD type with its zone states (`az`, `inStock`), in the general list or in
    /// `specificInstanceTypes` (granted by ticket); `spot` when it is sold as spot too.
    pub fn jd_type_with(
        &self,
        region: &str,
        name: &str,
        arch: &str,
        states: &[(&str, bool)],
        specific: bool,
        spot: bool,
    ) {
        let state: Vec<Value> = states
            .iter()
            .map(|(az, in_stock)| json!({"az": az, "inStock": in_stock}))
            .collect();
        self.with(|w| {
            w.types
                .entry(("jdcloud".into(), region.into()))
                .or_default()
                .insert(
                    name.into(),
                    json!({"family": "g.n4", "instanceType": name, "cpu": 4, "memoryMB": 16384,
                       "architecture": arch, "state": state, "specific": specific, "spot": spot}),
                );
        });
    }

    /// A launch quota (`instance`, `instance_cpu`, `instance_memory` in MB for JD;
    /// `postpaid-vcpu`, `spot-vcpu` for Alibaba).
    pub fn launch_quota(&self, cloud: &str, region: &str, name: &str, used: u32, limit: u32) {
        self.with(|w| {
            w.launch_quotas
                .entry((cloud.into(), region.into()))
                .or_default()
                .insert(name.into(), (used, limit))
        });
    }

    /// The system disks an Alibaba type is sold with in one zone, for one charge type
    /// (`PostPaid`, `PrePaid`, `Spot`): (category, min GiB, max GiB).
    pub fn ali_system_disks(
        &self,
        region: &str,
        charge: &str,
        zone: &str,
        name: &str,
        disks: &[(&str, u32, u32)],
    ) {
        self.with(|w| {
            w.ali_disks
                .entry((region.into(), charge.into(), name.into()))
                .or_default()
                .insert(zone.into(), owned_disks(disks))
        });
    }

    /// The data disks an Alibaba type is sold with in one zone, for one charge type, beside a
    /// system disk of `system` (what the request's `SystemDiskCategory` says; without it the
    /// API's default, `cloud_efficiency`): (category, min GiB, max GiB).
    pub fn ali_data_disks(
        &self,
        region: &str,
        charge: &str,
        zone: &str,
        name: &str,
        system: &str,
        disks: &[(&str, u32, u32)],
    ) {
        self.with(|w| {
            w.ali_data_disks
                .entry((region.into(), charge.into(), name.into(), system.into()))
                .or_default()
                .insert(zone.into(), owned_disks(disks))
        });
    }

    /// The networks an Alibaba account may create instances in, in `region`.
    pub fn ali_networks(&self, region: &str, networks: &[&str]) {
        self.with(|w| {
            w.ali_networks.insert(
                region.into(),
                networks.iter().map(|n| n.to_string()).collect(),
            )
        });
    }

    pub fn zl_account_zones(&self, zones: &[&str]) {
        self.with(|w| w.zl_account_zones = Some(zones.iter().map(|z| z.to_string()).collect()));
    }

    pub fn set_ali_run_forbidden(&self, on: bool) {
        self.with(|w| w.ali_run_forbidden = on);
    }

    /// Every dry run refused with `code` and `message` (a limit the describes do not show).
    pub fn set_ali_run_refusal(&self, refusal: Option<(&str, &str)>) {
        self.with(|w| w.ali_run_refusal = refusal.map(|(c, m)| (c.to_string(), m.to_string())));
    }

    pub fn set_ali_number_in_count(&self, on: bool) {
        self.with(|w| w.ali_number_in_count = on);
    }

    pub fn set_jd_memory_in_gb(&self, on: bool) {
        self.with(|w| w.jd_memory_in_gb = on);
    }

    pub fn quota(&self, cloud: &str, region: &str, used: u32, limit: u32) {
        self.with(|w| {
            w.quotas
                .insert((cloud.into(), region.into()), (used, limit))
        });
    }

    pub fn ali_image(
        &self,
        region: &str,
        id: &str,
        status: &str,
        arch: &str,
        size: u32,
        supports: &[&str],
    ) {
        self.with(|w| {
            w.images.entry(("aliyun".into(), region.into())).or_default().insert(
                id.into(),
                json!({"ImageId": id, "ImageName": "test", "Architecture": arch, "OSType": "linux",
                       "Status": status, "Usable": true, "Size": size, "ImageOwnerAlias": "system",
                       "IsPublic": false}),
            );
            w.constraints.entry(("aliyun".into(), region.into())).or_default().insert(
                id.into(),
                json!(supports.iter().map(|t| json!({"InstanceTypeId": t, "InstanceTypeFamily": "f", "CpuCoreCount": 2, "MemorySize": 8})).collect::<Vec<_>>()),
            );
        });
    }

    /// An Alibaba image's `Features.NvmeSupport` and `BootMode`, as `DescribeImages` has them.
    pub fn ali_image_features(&self, region: &str, id: &str, nvme: &str, boot: &str) {
        self.with(|w| {
            if let Some(image) = w
                .images
                .get_mut(&("aliyun".to_string(), region.to_string()))
                .and_then(|images| images.get_mut(id))
            {
                image["Features"] = json!({"NvmeSupport": nvme, "ImdsSupport": "v2"});
                image["BootMode"] = json!(boot);
            }
        });
    }

    /// An Alibaba type's `NvmeSupport` and `SupportedBootModes`, as `DescribeInstanceTypes`
    /// has them.
    pub fn ali_type_features(&self, name: &str, nvme: &str, boot_modes: &[&str]) {
        self.with(|w| {
            if let Some(t) = w
                .types
                .get_mut(&("aliyun".to_string(), String::new()))
                .and_then(|types| types.get_mut(name))
            {
                t["NvmeSupport"] = json!(nvme);
                t["SupportedBootModes"] = json!({"SupportedBootMode": boot_modes});
            }
        });
    }

    /// A type in Alibaba's global catalogue, sold in `region` (zone `{region}-h`) every way.
    pub fn ali_type(&self, region: &str, name: &str, arch: &str) {
        self.ali_catalogue_only(name, arch);
        for charge in ["PostPaid", "PrePaid", "Spot"] {
            self.ali_stock(region, charge, &format!("{region}-h"), name, "Available");
        }
    }

    /// A type in Alibaba's global catalogue that no region sells.
    pub fn ali_catalogue_only(&self, name: &str, arch: &str) {
        self.with(|w| {
            w.types.entry(("aliyun".into(), String::new())).or_default().insert(
                name.into(),
                json!({"InstanceTypeId": name, "CpuArchitecture": arch, "CpuCoreCount": 2, "MemorySize": 8.0}),
            );
        });
    }

    /// What `DescribeAvailableResource` says of one type in one zone for one charge type
    /// (`PostPaid`, `PrePaid`, `Spot`): `Available` or `SoldOut`.
    pub fn ali_stock(&self, region: &str, charge: &str, zone: &str, name: &str, status: &str) {
        self.with(|w| {
            w.ali_available
                .entry(region.into())
                .or_default()
                .entry(charge.into())
                .or_default()
                .entry(zone.into())
                .or_default()
                .insert(name.into(), status.into());
        });
    }

    /// Takes a type off sale for one charge type in a region (every zone).
    pub fn ali_not_sold(&self, region: &str, charge: &str, name: &str) {
        self.with(|w| {
            for zone in w
                .ali_available
                .entry(region.into())
                .or_default()
                .entry(charge.into())
                .or_default()
                .values_mut()
            {
                zone.remove(name);
            }
        });
    }

    /// Who owns an Alibaba image: `system`, `self`, `others` (shared), `marketplace`, or
    /// `community` (`others` with `IsPublic`).
    pub fn ali_owner(&self, region: &str, id: &str, owner: &str) {
        self.with(|w| {
            if let Some(image) = w
                .images
                .get_mut(&("aliyun".into(), region.into()))
                .and_then(|m| m.get_mut(id))
            {
                let (alias, public) = match owner {
                    "community" => ("others", true),
                    other => (other, false),
                };
                image["ImageOwnerAlias"] = json!(alias);
                image["IsPublic"] = json!(public);
            }
        });
    }

    /// An Alibaba image whose `Usable` is false.
    pub fn ali_unusable(&self, region: &str, id: &str) {
        self.with(|w| {
            if let Some(image) = w
                .images
                .get_mut(&("aliyun".into(), region.into()))
                .and_then(|m| m.get_mut(id))
            {
                image["Usable"] = json!(false);
            }
        });
    }

    /// DescribeImages takes one id: a comma list finds nothing.
    /// A vSwitch in `zone` of `region`, as VPC's `DescribeVSwitches` lists it.
    pub fn ali_vswitch(&self, region: &str, id: &str, zone: &str) {
        self.with(|w| {
            w.ali_vswitches
                .entry(region.to_string())
                .or_default()
                .insert(id.to_string(), (zone.to_string(), format!("vpc-{region}")))
        });
    }

    pub fn set_ali_vswitch_not_found_code(&self, on: bool) {
        self.with(|w| w.ali_vswitch_not_found_code = on);
    }

    pub fn set_ali_single_image_id(&self, on: bool) {
        self.with(|w| w.ali_single_image_id = on);
    }

    /// DescribeImages refuses a comma list as a malformed id.
    pub fn set_ali_refuse_image_lists(&self, on: bool) {
        self.with(|w| w.ali_refuse_image_lists = on);
    }

    /// An empty `ImageOwnerAlias` finds Marketplace and community images too.
    pub fn set_ali_lenient_owner(&self, on: bool) {
        self.with(|w| w.ali_lenient_owner = on);
    }

    /// The cloud answers every request about `region` as about an unknown region.
    pub fn unknown_region(&self, cloud: &str, region: &str) {
        self.with(|w| w.unknown_regions.insert((cloud.into(), region.into())));
    }

    pub fn zl_image(&self, zone: &str, id: &str, status: &str) {
        self.with(|w| {
            w.images.entry(("zenlayer".into(), zone.into())).or_default().insert(
                id.into(),
                json!({"imageId": id, "imageName": "Ubuntu 22.04", "imageType": "PUBLIC_IMAGE",
                       "imageSize": "20", "imageStatus": status, "category": "Ubuntu", "osType": "linux"}),
            );
        });
    }

    /// The disk categories a Zenlayer zone sells: `service` `vm` (per `charge`, `POSTPAID` or
    /// `PREPAID`) or `zec` (no charge).
    pub fn zl_disk_categories(&self, service: &str, zone: &str, charge: &str, categories: &[&str]) {
        self.with(|w| {
            w.zl_disk_categories.insert(
                (service.into(), zone.into(), charge.into()),
                categories.iter().map(|c| c.to_string()).collect(),
            )
        });
    }

    pub fn zl_type(&self, zone: &str, name: &str) {
        self.with(|w| {
            w.types.entry(("zenlayer".into(), zone.into())).or_default().insert(
                name.into(),
                json!({"zoneId": zone, "instanceType": name, "instanceTypeName": name, "cpuCount": 2, "memory": 4}),
            );
        });
    }

    /// A Zenlayer VM type sold only for these charge types (`POSTPAID`, `PREPAID`).
    pub fn zl_type_for(&self, zone: &str, name: &str, charges: &[&str]) {
        self.zl_type(zone, name);
        self.with(|w| {
            w.zl_charges
                .entry(zone.into())
                .or_default()
                .insert(name.into(), charges.iter().map(|c| c.to_string()).collect());
        });
    }

    /// A ZEC image in `zone`.
    pub fn zec_image(&self, zone: &str, id: &str, status: &str, min_disk: u32) {
        self.with(|w| {
            w.images
                .entry(("zenlayer-zec".into(), zone.into()))
                .or_default()
                .insert(
                    id.into(),
                    json!({"imageId": id, "imageName": "Ubuntu 22.04", "imageType": "PUBLIC_IMAGE",
                       "imageSource": "OFFICIAL", "imageSize": "2", "minDiskSize": min_disk,
                       "imageStatus": status, "category": "Ubuntu", "osType": "linux"}),
                );
        });
    }

    /// A ZEC type in `zone`, answered by the general (`cpu`, with `withStock`), `gpu` or
    /// `accelerator` call (those two carry `inventoryCapacity` instead).
    pub fn zec_type(&self, zone: &str, name: &str, call: &str, with_stock: bool) {
        let entry = match call {
            "cpu" => json!({"zoneId": zone, "instanceType": name, "instanceTypeName": name,
                            "cpuCount": 4, "memory": 8, "withStock": with_stock}),
            "gpu" => json!({"zoneId": zone, "instanceType": name, "cpuCount": 16, "memory": 64,
                            "gpuAmount": 1, "inventoryCapacity": 3}),
            _ => json!({"zoneId": zone, "instanceType": name, "acceleratorType": "npu",
                        "cpuCount": 8, "memory": 32, "acceleratorAmount": 1, "inventoryCapacity": 2}),
        };
        self.with(|w| {
            w.zec_types
                .entry(zone.into())
                .or_default()
                .push((call.into(), entry))
        });
    }

    // --- faults and observation ------------------------------------------------------------

    /// The next requests of `op` get these faults, one each, then normal answers.
    pub fn fail_next(&self, op: &str, faults: &[Fault]) {
        self.with(|w| {
            w.faults
                .entry(op.into())
                .or_default()
                .extend(faults.iter().cloned())
        });
    }

    /// Every request of `op` gets this fault.
    pub fn fail_always(&self, op: &str, fault: Fault) {
        self.with(|w| w.always.insert(op.into(), fault));
    }

    /// Pages hold at most `n` items, below what preflight asks for.
    pub fn set_max_page(&self, n: usize) {
        self.with(|w| w.max_page = Some(n));
    }

    /// Every operation of `cloud` allows `per_second` requests per second (a token bucket
    /// holding one second's worth), and answers the cloud's throttling error past it.
    pub fn rate_limit(&self, cloud: &str, per_second: f64) {
        self.with(|w| w.cloud_rates.insert(cloud.into(), per_second));
    }

    /// Requests answered with a throttling error by `rate_limit`.
    pub fn throttled(&self) -> usize {
        self.with(|w| w.throttled)
    }

    /// Requests of one operation (`cloud.Operation`) answered with a throttling error.
    pub fn throttled_of(&self, op: &str) -> usize {
        self.with(|w| w.throttled_ops.get(op).copied().unwrap_or(0))
    }

    pub fn set_latency(&self, latency: Duration) {
        self.with(|w| w.latency = latency);
    }

    /// The operations received, in order.
    pub fn requests(&self) -> Vec<String> {
        self.with(|w| w.log.clone())
    }

    /// How many requests of `op` (`aliyun.DescribeVSwitches`) arrived.
    pub fn count(&self, op: &str) -> usize {
        self.with(|w| w.log.iter().filter(|r| *r == op).count())
    }

    pub fn bad_signatures(&self) -> usize {
        self.with(|w| w.bad_signatures)
    }

    pub fn signed_token_requests(&self) -> usize {
        self.with(|w| w.signed_token_requests)
    }

    // --- serving ---------------------------------------------------------------------------

    async fn serve(&self, mut stream: TcpStream) {
        let Some(req) = read_request(&mut stream).await else {
            return;
        };
        let latency = self.with(|w| w.latency);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let op = req.operation();
        let fault = self.with(|w| {
            w.log.push(op.clone());
            w.faults
                .get_mut(&op)
                .and_then(VecDeque::pop_front)
                .or_else(|| w.always.get(&op).cloned())
                .or_else(|| w.over_rate(req.cloud(), &op))
        });
        let (status, body, headers) = match fault {
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Some(Fault::Reset) => return,
            Some(Fault::Truncated) => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"result\":")
                    .await;
                return;
            }
            Some(Fault::Garbage) => (200, "<html>502 Bad Gateway</html>".to_string(), vec![]),
            Some(Fault::WrongShape) => (200, json!({"requestId": "x", "result": {"unexpected": true}, "response": {"unexpected": true}}).to_string(), vec![]),
            Some(Fault::Status(s, b, h)) => (s, b, h),
            Some(Fault::Huge(mib)) => (200, format!("{{\"padding\": \"{}\"}}", "x".repeat(mib * 1024 * 1024)), vec![]),
            None => match self.verify(&req) {
                Err(answer) => {
                    self.with(|w| w.bad_signatures += 1);
                    answer
                }
                Ok(()) => self.answer(&req),
            },
        };
        let mut head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    /// Recomputes the signature from what arrived.
    fn verify(&self, req: &Request) -> Result<(), Reply> {
        let auth = req.header("authorization").unwrap_or_default();
        match req.cloud() {
            "jdcloud" => {
                let signed = field(&auth, "SignedHeaders=").unwrap_or_default();
                let headers: Vec<(String, String)> = signed
                    .split(';')
                    .filter(|h| *h != "host")
                    .map(|h| (h.to_string(), req.header(h).unwrap_or_default()))
                    .collect();
                let refs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let date = req.header("x-jdcloud-date").unwrap_or_default();
                let region = req.path.split('/').nth(3).unwrap_or("");
                let expected = jd::sign(
                    JD_AK,
                    JD_SK,
                    &date,
                    &jd::Request {
                        method: &req.method,
                        host: &req.header("host").unwrap_or_default(),
                        path: &req.path,
                        query: &req.query,
                        headers: &refs,
                        body: &req.body,
                        region: &decode_query_component(region),
                        service: "vm",
                    },
                );
                if expected.authorization == auth && signed.contains("x-jdcloud-nonce") {
                    Ok(())
                } else {
                    Err((401, json!({"requestId": "fake", "error": {"code": 401, "status": "UNAUTHENTICATED", "message": "signature mismatch"}}).to_string(), vec![]))
                }
            }
            "aliyun" => {
                let signed = field(&auth, "SignedHeaders=").unwrap_or_default();
                let headers: Vec<(String, String)> = signed
                    .split(';')
                    .map(|h| (h.to_string(), req.header(h).unwrap_or_default()))
                    .collect();
                let refs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let id = field(&auth, "Credential=").unwrap_or_default();
                let Some((secret, token)) = self.with(|w| w.ali_keys.get(&id).cloned()) else {
                    return Err((404, json!({"RequestId": "fake", "HostId": "ecs", "Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}).to_string(), vec![]));
                };
                if token.is_some() && req.header("x-acs-security-token") != token {
                    return Err((400, json!({"RequestId": "fake", "HostId": "ecs", "Code": "InvalidSecurityToken.Mismatch", "Message": "The security token does not match the access key."}).to_string(), vec![]));
                }
                let expected = ali::sign_v3(
                    &id,
                    &secret,
                    &ali::Request {
                        method: &req.method,
                        path: "/",
                        query: &req.query_pairs(),
                        headers: &refs,
                        body: &req.body,
                    },
                );
                if expected.authorization == auth {
                    if req.header("x-acs-security-token").is_some()
                        && signed.split(';').any(|h| h == "x-acs-security-token")
                    {
                        self.with(|w| w.signed_token_requests += 1);
                    }
                    Ok(())
                } else {
                    Err((400, json!({"RequestId": "fake", "HostId": "ecs", "Code": "SignatureDoesNotMatch", "Message": "The request signature does not conform to Aliyun standards."}).to_string(), vec![]))
                }
            }
            "sts" => self.verify_sts(req),
            "metadata" | "credentials-uri" => Ok(()),
            _ => {
                let ts: i64 = req
                    .header("x-zc-timestamp")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let expected = zl::sign(
                    ZL_AK,
                    ZL_SK,
                    ts,
                    &req.header("content-type").unwrap_or_default(),
                    &req.header("host").unwrap_or_default(),
                    &req.body,
                );
                if expected.authorization == auth {
                    Ok(())
                } else {
                    Err((401, json!({"requestId": "fake", "code": "AUTH_FAILED", "message": "signature mismatch"}).to_string(), vec![]))
                }
            }
        }
    }

    /// The documented success (or not-found) answer.
    fn answer(&self, req: &Request) -> Reply {
        let ok = |v: Value| (200, v.to_string(), vec![]);
        self.with(|w| match req.cloud() {
            "sts" => w.answer_sts(req),
            "metadata" => w.answer_metadata(req),
            "credentials-uri" => match w.credentials_uri {
                true => w.issue("uri", "credentials-uri"),
                false => (404, "{}".to_string(), vec![]),
            },
            "jdcloud" => {
                let region = decode_query_component(req.path.split('/').nth(3).unwrap_or(""));
                let key = ("jdcloud".to_string(), region.clone());
                if w.unknown_regions.contains(&key) {
                    return (404, json!({"requestId": "fake", "error": {"code": 404, "status": "NOT_FOUND", "message": format!("region {region} not found")}}).to_string(), vec![]);
                }
                let q = req.query_pairs();
                let ids: Vec<String> = q.iter().filter(|(k, _)| k.starts_with("ids.")).map(|(_, v)| v.clone()).collect();
                let images = w.images.get(&key).cloned().unwrap_or_default();
                if req.path.ends_with("/imageConstraints") {
                    let c = w.constraints.get(&key).cloned().unwrap_or_default();
                    let list: Vec<Value> = ids.iter().filter_map(|id| Some(json!({"imageId": id, "imageInstanceTypeConstraint": c.get(id)?}))).collect();
                    ok(json!({"requestId": "fake", "result": {"imageConstraints": list}}))
                } else if req.path.ends_with("/images") {
                    let list: Vec<Value> = ids.iter().filter_map(|id| images.get(id).cloned()).collect();
                    let number = |k: &str, d: usize| q.iter().find(|(key, _)| key == k).and_then(|(_, v)| v.parse().ok()).unwrap_or(d);
                    let page = page_of(&list, number("pageNumber", 1), number("pageSize", 20), w.max_page);
                    ok(json!({"requestId": "fake", "result": {"images": page, "totalCount": list.len()}}))
                } else if req.path.ends_with("/instanceTypes") {
                    let wanted: Vec<String> = q.iter().filter(|(k, _)| k.starts_with("filters.1.values.")).map(|(_, v)| v.clone()).collect();
                    let spot = q.iter().any(|(k, v)| k == "chargeMode" && v == "postpaid_by_spot");
                    let types = w.types.get(&key).cloned().unwrap_or_default();
                    let found: Vec<Value> = wanted
                        .iter()
                        .filter_map(|t| types.get(t).cloned())
                        .filter(|t| !spot || t["spot"].as_bool() != Some(false))
                        .collect();
                    let strip = |t: &Value| {
                        let mut t = t.clone();
                        if let Some(o) = t.as_object_mut() {
                            o.remove("specific");
                            o.remove("spot");
                        }
                        t
                    };
                    let (granted, general): (Vec<Value>, Vec<Value>) = found.into_iter().partition(|t| t["specific"].as_bool() == Some(true));
                    let general: Vec<Value> = general.iter().map(strip).collect();
                    let granted: Vec<Value> = granted.iter().map(strip).collect();
                    ok(json!({"requestId": "fake", "result": {"instanceTypes": general, "specificInstanceTypes": granted, "totalCount": general.len()}}))
                } else if req.path.ends_with("/quotas") {
                    // The resource types asked for (`filters.1.values.N`), as the SDK's filter.
                    let asked: Vec<String> = q.iter().filter(|(k, _)| k.starts_with("filters.1.values.")).map(|(_, v)| v.clone()).collect();
                    let launch = w.launch_quotas.get(&key).cloned().unwrap_or_default();
                    let quotas: Vec<Value> = asked.iter().filter_map(|kind| {
                        let (used, limit) = match kind.as_str() {
                            "image" => w.quotas.get(&key).copied().unwrap_or((0, 10)),
                            "instance" => launch.get("instance").copied().unwrap_or((0, 1000)),
                            "instance_cpu" => launch.get("instance_cpu").copied().unwrap_or((0, 10000)),
                            // Set in MB: 4 GB per vCPU of the vCPU limit unless a test says.
                            "instance_memory" => {
                                let (used, limit) = launch.get("instance_memory").copied().unwrap_or((0, 10000 * 4096));
                                if w.jd_memory_in_gb { (used / 1024, limit / 1024) } else { (used, limit) }
                            }
                            _ => return None,
                        };
                        Some(json!({"resourceType": kind, "limit": limit, "used": used}))
                    }).collect();
                    ok(json!({"requestId": "fake", "result": {"quotas": quotas}}))
                } else {
                    (404, json!({"requestId": "fake", "error": {"code": 404, "status": "NOT_FOUND", "message": "no such API"}}).to_string(), vec![])
                }
            }
            "aliyun" => {
                let q = req.query_pairs();
                let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
                let key = ("aliyun".to_string(), get("RegionId"));
                if w.unknown_regions.contains(&key) {
                    return (404, json!({"RequestId": "fake", "HostId": "ecs", "Code": "InvalidRegionId.NotFound", "Message": "The specified RegionId does not exist."}).to_string(), vec![]);
                }
                let action = req.header("x-acs-action").unwrap_or_default();
                // VPC's action is versioned 2016-04-28, ECS's 2014-05-26: a wrong one is refused.
                let version = if action == "DescribeVSwitches" { "2016-04-28" } else { "2014-05-26" };
                if req.header("x-acs-version").as_deref() != Some(version) {
                    return (400, json!({"RequestId": "fake", "Code": "InvalidVersion", "Message": format!("{action} is version {version}")}).to_string(), vec![]);
                }
                match action.as_str() {
                    "RunInstances" => {
                        let refuse = |status: u16, code: &str, message: &str| (status, json!({"RequestId": "fake", "HostId": "ecs", "Code": code, "Message": message}).to_string(), vec![]);
                        if get("DryRun") != "true" {
                            return refuse(400, "FakeNeverLaunches", "the fake cloud only answers dry runs");
                        }
                        if w.ali_run_forbidden {
                            return refuse(403, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.");
                        }
                        if let Some((code, message)) = &w.ali_run_refusal {
                            return refuse(400, code, message);
                        }
                        let Some((zone, _)) = w.ali_vswitches.get(&key.1).and_then(|v| v.get(&get("VSwitchId"))).cloned() else {
                            return refuse(404, "InvalidVSwitchId.NotFound", "Specified virtual switch does not exist.");
                        };
                        if !w.images.get(&key).is_some_and(|i| i.contains_key(&get("ImageId"))) {
                            return refuse(404, "InvalidImageId.NotFound", "The specified ImageId does not exist.");
                        }
                        if !get("SecurityGroupIds.1").starts_with("sg-") {
                            return refuse(404, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.");
                        }
                        let charge = match (get("InstanceChargeType").as_str(), get("SpotStrategy").as_str()) {
                            ("PrePaid", _) => "PrePaid",
                            (_, "SpotAsPriceGo" | "SpotWithPriceLimit") => "Spot",
                            _ => "PostPaid",
                        };
                        let name = get("InstanceType");
                        let stock = w.ali_available.get(&key.1).and_then(|c| c.get(charge)).and_then(|z| z.get(&zone)).and_then(|t| t.get(&name)).cloned();
                        match stock.as_deref() {
                            Some("Available") => {}
                            Some(_) => return refuse(400, "OperationDenied.NoStock", "The requested resource is sold out in the specified zone; try other types of resources or other regions and zones."),
                            None => return refuse(400, "Zone.NotOnSale", "The specified zone is not available for purchase."),
                        }
                        let category = get("SystemDisk.Category");
                        if let Some(disks) = w.ali_disks.get(&(key.1.clone(), charge.to_string(), name.clone())).and_then(|z| z.get(&zone))
                            && !category.is_empty()
                            && !disks.iter().any(|(c, _, _)| *c == category)
                        {
                            return refuse(400, "InvalidSystemDiskCategory.ValueNotSupported", "The specified parameter SystemDisk.Category is not valid.");
                        }
                        let system = if category.is_empty() { "cloud_efficiency".to_string() } else { category };
                        if let Some(disks) = w.ali_data_disks.get(&(key.1.clone(), charge.to_string(), name.clone(), system)).and_then(|z| z.get(&zone)) {
                            let asked = (1..).map(|n| get(&format!("DataDisk.{n}.Category"))).take_while(|c| !c.is_empty());
                            for data in asked.collect::<Vec<_>>() {
                                if !disks.iter().any(|(c, _, _)| *c == data) {
                                    return refuse(400, "InvalidDataDiskCategory.ValueNotSupported", "The specified parameter DataDisk.n.Category is not valid.");
                                }
                            }
                        }
                        refuse(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
                    }
                    "DescribeAccountAttributes" => {
                        let launch = w.launch_quotas.get(&key).cloned().unwrap_or_default();
                        let networks = w.ali_networks.get(&key.1).cloned().unwrap_or_else(|| vec!["vpc".to_string()]);
                        let in_count = w.ali_number_in_count;
                        let number = |n: u32| if in_count { json!({"Value": "", "Count": n}) } else { json!({"Value": n.to_string(), "Count": 0}) };
                        let asked: Vec<String> = q.iter().filter(|(k, _)| k.starts_with("AttributeName.")).map(|(_, v)| v.clone()).collect();
                        let items: Vec<Value> = asked.iter().filter_map(|name| {
                            let values: Vec<Value> = if name == "instance-network-type" {
                                networks.iter().map(|n| json!({"Value": n, "Count": 1})).collect()
                            } else {
                                let (charge, used) = match name.as_str() {
                                    "max-postpaid-instance-vcpu-count" => ("postpaid", false),
                                    "used-postpaid-instance-vcpu-count" => ("postpaid", true),
                                    "max-spot-instance-vcpu-count" => ("spot", false),
                                    "used-spot-instance-vcpu-count" => ("spot", true),
                                    _ => return None,
                                };
                                let (u, l) = launch.get(&format!("{charge}-vcpu")).copied().unwrap_or((0, 10000));
                                vec![number(if used { u } else { l })]
                            };
                            Some(json!({"AttributeName": name, "AttributeValues": {"ValueItem": values}}))
                        }).collect();
                        ok(json!({"RequestId": "fake", "AccountAttributeItems": {"AccountAttributeItem": items}}))
                    }
                    "DescribeVSwitches" => {
                        let id = get("VSwitchId");
                        let found = w.ali_vswitches.get(&key.1).and_then(|v| v.get(&id)).cloned();
                        match found {
                            Some((zone, vpc)) => ok(json!({"RequestId": "fake", "TotalCount": 1, "PageNumber": 1, "PageSize": 50,
                                "VSwitches": {"VSwitch": [{"VSwitchId": id, "ZoneId": zone, "VpcId": vpc, "Status": "Available",
                                    "CidrBlock": "172.16.0.0/24", "AvailableIpAddressCount": 250, "IsDefault": false}]}})),
                            None if w.ali_vswitch_not_found_code => (404, json!({"RequestId": "fake", "Code": "InvalidVSwitchId.NotFound", "Message": "Specified virtual switch does not exist."}).to_string(), vec![]),
                            None => ok(json!({"RequestId": "fake", "TotalCount": 0, "PageNumber": 1, "PageSize": 50, "VSwitches": {"VSwitch": []}})),
                        }
                    }
                    "DescribeImages" => {
                        let images = w.images.get(&key).cloned().unwrap_or_default();
                        let asked = get("ImageId");
                        if w.ali_refuse_image_lists && asked.contains(',') {
                            return (400, json!({"RequestId": "fake", "HostId": "ecs", "Code": "InvalidImageId.Malformed", "Message": "The specified ImageId is malformed."}).to_string(), vec![]);
                        }
                        let ids: Vec<&str> = if w.ali_single_image_id && asked.contains(',') {
                            Vec::new()
                        } else {
                            asked.split(',').collect()
                        };
                        let alias = get("ImageOwnerAlias");
                        let public = get("IsPublic") == "true";
                        let lenient = w.ali_lenient_owner;
                        // Which owners the query covers, as the SDK documents ImageOwnerAlias.
                        let covers = |image: &Value| {
                            let owner = image["ImageOwnerAlias"].as_str().unwrap_or("system");
                            let community = owner == "others" && image["IsPublic"] == json!(true);
                            match alias.as_str() {
                                "" => lenient || (owner != "marketplace" && !community),
                                "marketplace" => owner == "marketplace",
                                "others" => owner == "others" && community == public,
                                other => owner == other,
                            }
                        };
                        let list: Vec<Value> = ids.iter().filter_map(|id| images.get(*id).cloned()).filter(|i| covers(i)).collect();
                        let number = |k: &str, d: usize| get(k).parse().unwrap_or(d);
                        let page = page_of(&list, number("PageNumber", 1), number("PageSize", 10), w.max_page);
                        ok(json!({"RequestId": "fake", "RegionId": key.1, "TotalCount": list.len(), "PageNumber": number("PageNumber", 1), "PageSize": 100, "Images": {"Image": page}}))
                    }
                    "DescribeImageSupportInstanceTypes" => {
                        let id = get("ImageId");
                        match w.constraints.get(&key).and_then(|c| c.get(&id)) {
                            Some(list) => ok(json!({"RequestId": "fake", "RegionId": key.1, "ImageId": id, "InstanceTypes": {"InstanceType": list}})),
                            None => (404, json!({"RequestId": "fake", "HostId": "ecs", "Code": "InvalidImageId.NotFound", "Message": "The specified ImageId does not exist."}).to_string(), vec![]),
                        }
                    }
                    "DescribeInstanceTypes" => {
                        // The global catalogue: no RegionId in the SDK's request.
                        let types = w.types.get(&("aliyun".to_string(), String::new())).cloned().unwrap_or_default();
                        let list: Vec<Value> = q.iter().filter(|(k, _)| k.starts_with("InstanceTypes.")).filter_map(|(_, t)| types.get(t).cloned()).collect();
                        // NextToken is the index of the next item.
                        let from: usize = get("NextToken").parse().unwrap_or(0);
                        let size = w.max_page.unwrap_or(usize::MAX);
                        let page: Vec<Value> = list.iter().skip(from).take(size).cloned().collect();
                        let next = if from + page.len() < list.len() { (from + page.len()).to_string() } else { String::new() };
                        ok(json!({"RequestId": "fake", "NextToken": next, "InstanceTypes": {"InstanceType": page}}))
                    }
                    "DescribeAvailableResource" => {
                        let charge = match (get("InstanceChargeType").as_str(), get("SpotStrategy").as_str()) {
                            ("PrePaid", _) => "PrePaid",
                            (_, "SpotAsPriceGo" | "SpotWithPriceLimit") => "Spot",
                            _ => "PostPaid",
                        };
                        let destination = get("DestinationResource");
                        if destination == "SystemDisk" || destination == "DataDisk" {
                            // "You must specify InstanceType because system disks are restricted by instance types."
                            let name = get("InstanceType");
                            if name.is_empty() || get("ResourceType") != "instance" {
                                return (400, json!({"RequestId": "fake", "Code": "InvalidParameter", "Message": "InstanceType and ResourceType are required"}).to_string(), vec![]);
                            }
                            // For data disks, `SystemDiskCategory`: "If you do not specify this
                            // parameter, the default value takes effect" (`cloud_efficiency`).
                            let system = match get("SystemDiskCategory") {
                                s if s.is_empty() => "cloud_efficiency".to_string(),
                                s => s,
                            };
                            let set = if destination == "SystemDisk" {
                                w.ali_disks.get(&(key.1.clone(), charge.to_string(), name.clone()))
                            } else {
                                w.ali_data_disks.get(&(key.1.clone(), charge.to_string(), name.clone(), system))
                            };
                            let zones: DiskZones = match set {
                                Some(zones) => zones.clone(),
                                None => w.ali_available.get(&key.1).and_then(|c| c.get(charge)).map(|zones| zones.iter()
                                    .filter(|(_, types)| types.contains_key(&name))
                                    .map(|(z, _)| (z.clone(), vec![("cloud_efficiency".to_string(), 20, 2048), ("cloud_essd".to_string(), 20, 2048)]))
                                    .collect()).unwrap_or_default(),
                            };
                            let list: Vec<Value> = zones.iter().map(|(zone, disks)| {
                                let supported: Vec<Value> = disks.iter().map(|(c, min, max)| json!({
                                    "Value": c, "Status": "Available", "StatusCategory": "WithStock", "Min": min, "Max": max, "Unit": "GiB"})).collect();
                                json!({"ZoneId": zone, "RegionId": key.1, "Status": "Available", "StatusCategory": "WithStock",
                                       "AvailableResources": {"AvailableResource": [{"Type": destination, "SupportedResources": {"SupportedResource": supported}}]}})
                            }).collect();
                            return ok(json!({"RequestId": "fake", "AvailableZones": {"AvailableZone": list}}));
                        }
                        if get("DestinationResource") != "InstanceType" {
                            return (400, json!({"RequestId": "fake", "Code": "InvalidParameter", "Message": "DestinationResource"}).to_string(), vec![]);
                        }
                        let zones = w.ali_available.get(&key.1).and_then(|c| c.get(charge)).cloned().unwrap_or_default();
                        let list: Vec<Value> = zones.iter().map(|(zone, types)| {
                            let supported: Vec<Value> = types.iter().map(|(t, status)| json!({
                                "Value": t, "Status": status,
                                "StatusCategory": if status == "Available" { "WithStock" } else { "WithoutStock" }})).collect();
                            json!({"ZoneId": zone, "RegionId": key.1, "Status": "Available", "StatusCategory": "WithStock",
                                   "AvailableResources": {"AvailableResource": [{"Type": "InstanceType", "SupportedResources": {"SupportedResource": supported}}]}})
                        }).collect();
                        ok(json!({"RequestId": "fake", "AvailableZones": {"AvailableZone": list}}))
                    }
                    _ => (400, json!({"RequestId": "fake", "Code": "InvalidAction.NotFound", "Message": "unknown action"}).to_string(), vec![]),
                }
            }
            _ => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let zone = body["zoneId"].as_str().unwrap_or("").to_string();
                let zec = req.path.ends_with("/zec");
                let key = (if zec { "zenlayer-zec" } else { "zenlayer" }.to_string(), zone.clone());
                let wrap = |v: Value| {
                    let mut v = v;
                    v["requestId"] = json!("fake");
                    ok(json!({"requestId": "fake", "response": v}))
                };
                match req.header("x-zc-action").unwrap_or_default().as_str() {
                    "DescribeImages" => {
                        let images = w.images.get(&key).cloned().unwrap_or_default();
                        let list: Vec<Value> = body["imageIds"].as_array().cloned().unwrap_or_default().iter().filter_map(|id| images.get(id.as_str()?).cloned()).collect();
                        let number = |k: &str, d: u64| body[k].as_u64().unwrap_or(d) as usize;
                        let page = page_of(&list, number("pageNum", 1), number("pageSize", 20), w.max_page);
                        wrap(json!({"totalCount": list.len(), "dataSet": page}))
                    }
                    "DescribeZoneInstanceConfigInfos" | "DescribeZoneGpuInstanceConfigInfos" | "DescribeZoneAcceleratorConfigInfos" if zec => {
                        let call = match req.header("x-zc-action").unwrap_or_default().as_str() {
                            "DescribeZoneInstanceConfigInfos" => "cpu",
                            "DescribeZoneGpuInstanceConfigInfos" => "gpu",
                            _ => "accelerator",
                        };
                        let list: Vec<Value> = w.zec_types.get(&zone).map(|l| l.iter().filter(|(c, _)| c == call).map(|(_, t)| t.clone()).collect()).unwrap_or_default();
                        wrap(json!({"instanceTypeQuotaSet": list}))
                    }
                    "DescribeZoneInstanceConfigInfos" => {
                        let Some(charge) = body["instanceChargeType"].as_str() else {
                            return (400, json!({"requestId": "fake", "code": "MISSING_PARAMETER", "message": "instanceChargeType is required"}).to_string(), vec![]);
                        };
                        let charges = w.zl_charges.get(&zone).cloned().unwrap_or_default();
                        let list: Vec<Value> = w.types.get(&key).map(|t| t.iter().filter(|(name, _)| charges.get(*name).is_none_or(|c| c.iter().any(|c| c == charge))).map(|(_, v)| v.clone()).collect()).unwrap_or_default();
                        wrap(json!({"instanceTypeQuotaSet": list}))
                    }
                    "DescribeDiskCategory" => {
                        // VM's model has `instanceChargeType`, ZEC's does not.
                        let charge = if zec { String::new() } else { body["instanceChargeType"].as_str().unwrap_or("POSTPAID").to_string() };
                        let service = if zec { "zec" } else { "vm" };
                        let set = w.zl_disk_categories.get(&(service.to_string(), zone.clone(), charge)).cloned()
                            .unwrap_or_else(|| vec!["Standard NVMe SSD".to_string(), "Basic NVMe SSD".to_string()]);
                        wrap(json!({"categoryZoneSet": [{"zoneId": zone, "categorySet": set}]}))
                    }
                    "DescribeImageQuota" => {
                        let account = w.zl_account_zones.clone();
                        let list: Vec<Value> = body["zoneIds"].as_array().cloned().unwrap_or_default().iter().filter_map(|z| {
                            let z = z.as_str()?;
                            if account.as_ref().is_some_and(|a| !a.iter().any(|x| x == z)) {
                                return None;
                            }
                            let (used, limit) = w.quotas.get(&("zenlayer".to_string(), z.to_string())).copied().unwrap_or((0, 5));
                            // The documented example: numbers as strings, keyed by regionId.
                            Some(json!({"regionId": z, "count": used.to_string(), "maxCount": limit.to_string()}))
                        }).collect();
                        wrap(json!({"imageRegionQuota": list}))
                    }
                    _ => (404, json!({"requestId": "fake", "code": "INVALID_ACTION_NOT_FOUND", "message": "unknown action"}).to_string(), vec![]),
                }
            }
        })
    }
}

impl World {
    /// The cloud's throttling answer when `op` is past its rate, else `None` (a token taken).
    /// A new temporary key, accepted from now on with its token, in `shape`'s answer.
    fn issue(&mut self, shape: &str, who: &str) -> Reply {
        self.issued += 1;
        let n = self.issued;
        let (id, secret, token) = (
            format!("STS.fake{n:04}"),
            format!("STS-SECRET-{n}-do-not-print"),
            format!("STS-TOKEN-{n}-do-not-print"),
        );
        self.ali_keys
            .insert(id.clone(), (secret.clone(), Some(token.clone())));
        let key = json!({"AccessKeyId": id, "AccessKeySecret": secret, "SecurityToken": token, "Expiration": "2099-01-01T00:00:00Z"});
        let body = match shape {
            "sts" => {
                json!({"RequestId": "fake", "AssumedRoleUser": {"Arn": format!("{who}/preflight"), "AssumedRoleId": "1:preflight"}, "Credentials": key})
            }
            _ => {
                let mut key = key;
                key["Code"] = json!("Success");
                key["LastUpdated"] = json!("2026-12-01T00:00:00Z");
                key
            }
        };
        (200, body.to_string(), vec![])
    }

    fn answer_sts(&mut self, req: &Request) -> Reply {
        let q = req.query_pairs();
        let get = |k: &str| {
            q.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let refuse = |status: u16, code: &str, message: String| {
            (
                status,
                json!({"RequestId": "fake", "Code": code, "Message": message}).to_string(),
                vec![],
            )
        };
        let role = get("RoleArn");
        match get("Action").as_str() {
            "AssumeRole" if self.sts_roles.contains_key(&role) => self.issue("sts", &role),
            "AssumeRole" => refuse(404, "EntityNotExist.Role", format!("The role {role} does not exist.")),
            "AssumeRoleWithOIDC" => {
                let token = get("OIDCToken");
                if !self.oidc_tokens.contains(&token) {
                    // STS quotes the token back, as real services do: preflight must not.
                    refuse(400, "AuthenticationFail.OIDCToken.Invalid", format!("Illegal OIDC token: {token}"))
                } else if !self.sts_roles.contains_key(&role) {
                    refuse(404, "EntityNotExist.Role", format!("The role {role} does not exist."))
                } else {
                    self.issue("sts", &role)
                }
            }
            "GetCallerIdentity" => (200, json!({"RequestId": "fake", "AccountId": "1234567890", "Arn": "acs:ram::1234567890:user/fake", "IdentityType": "RAMUser", "UserId": "1"}).to_string(), vec![]),
            other => refuse(400, "InvalidAction.NotFound", format!("no action {other}")),
        }
    }

    fn answer_metadata(&mut self, req: &Request) -> Reply {
        let Some((role, hardened)) = self.ecs_role.clone() else {
            return (404, "not found".to_string(), vec![]);
        };
        let has_token = req.header("x-aliyun-ecs-metadata-token").as_deref() == Some("meta-token");
        if req.method == "PUT" {
            // `hardened`: the service wants a session token; otherwise it is one that has no
            // token endpoint at all (plain GETs only).
            return if !hardened {
                (404, "no token endpoint".to_string(), vec![])
            } else if req
                .header("x-aliyun-ecs-metadata-token-ttl-seconds")
                .is_some()
            {
                (200, "meta-token".to_string(), vec![])
            } else {
                (400, "no ttl".to_string(), vec![])
            };
        }
        if hardened && !has_token {
            return (401, "token required".to_string(), vec![]);
        }
        match req
            .path
            .strip_prefix("/latest/meta-data/ram/security-credentials/")
        {
            Some("") => (200, role, vec![]),
            Some(asked) if asked == role => self.issue("metadata", &role),
            _ => (404, "no such role".to_string(), vec![]),
        }
    }

    fn over_rate(&mut self, cloud: &str, op: &str) -> Option<Fault> {
        let per_second = *self.cloud_rates.get(cloud)?;
        let now = std::time::Instant::now();
        let (rate, tokens, at) = self
            .buckets
            .entry(op.to_string())
            .or_insert((per_second, per_second, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * *rate).min(*rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return None;
        }
        self.throttled += 1;
        *self.throttled_ops.entry(op.to_string()).or_default() += 1;
        // Each cloud's own words for it (providers.md, the SDKs' retry rules).
        Some(match cloud {
            "jdcloud" => Fault::Status(
                429,
                json!({"requestId": "fake", "error": {"code": 429, "status": "RATE_LIMIT", "message": "Requests too frequent"}}).to_string(),
                vec![],
            ),
            "aliyun" => Fault::Status(
                400,
                json!({"RequestId": "fake", "HostId": "ecs", "Code": "Throttling.User", "Message": "Request was denied due to user flow control."}).to_string(),
                vec![],
            ),
            _ => Fault::Status(
                429,
                json!({"requestId": "fake", "code": "REQUEST_LIMIT_EXCEEDED", "message": "Request limit exceeded."}).to_string(),
                vec![],
            ),
        })
    }
}

/// Page `number` (1-based) of `size` items, the size capped at `max`.
fn page_of(list: &[Value], number: usize, size: usize, max: Option<usize>) -> Vec<Value> {
    let size = size.min(max.unwrap_or(usize::MAX)).max(1);
    list.iter()
        .skip(number.saturating_sub(1) * size)
        .take(size)
        .cloned()
        .collect()
}

fn field(auth: &str, name: &str) -> Option<String> {
    let start = auth.find(name)? + name.len();
    let rest = &auth[start..];
    Some(rest.split([',', ' ']).next().unwrap_or("").to_string())
}

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn cloud(&self) -> &'static str {
        if self.path.starts_with("/v1/") {
            "jdcloud"
        } else if self.path.starts_with("/api/v2/") {
            "zenlayer"
        } else if self.path.starts_with("/latest/") {
            "metadata"
        } else if self.path == "/credentials-uri" {
            "credentials-uri"
        } else if self.method == "GET" && self.query.contains("Action=") {
            "sts"
        } else {
            "aliyun"
        }
    }

    /// `cloud.Operation`, the operation named as the cloud's docs name it.
    pub fn operation(&self) -> String {
        let name = match self.cloud() {
            "jdcloud" => match self.path.rsplit('/').next().unwrap_or("") {
                "imageConstraints" => "describeImageConstraintsBatch",
                "images" => "describeImages",
                "instanceTypes" => "describeInstanceTypes",
                "quotas" => "describeQuotas",
                _ => "describeImage",
            }
            .to_string(),
            "aliyun" => self.header("x-acs-action").unwrap_or_default(),
            "sts" => self
                .query_pairs()
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v)
                .unwrap_or_default(),
            "metadata" => match (self.method.as_str(), self.path.as_str()) {
                ("PUT", _) => "token".to_string(),
                (_, "/latest/meta-data/ram/security-credentials/") => "role".to_string(),
                _ => "credentials".to_string(),
            },
            "credentials-uri" => "get".to_string(),
            _ => self.header("x-zc-action").unwrap_or_default(),
        };
        let api = if self.path.ends_with("/zec") {
            "zenlayer-zec"
        } else {
            self.cloud()
        };
        format!("{api}.{name}")
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (decode_query_component(k), decode_query_component(v)))
            .collect()
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        // A TLS ClientHello to this plain-HTTP server: answer in plain text, as a
        // misconfigured endpoint would, so the client's handshake fails.
        if buf.first() == Some(&0x16) {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
                .await;
            return None;
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_string();
    let target = start.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    })
}

/// A TLS server on loopback whose certificate no one trusts (self-signed, made now): every
/// handshake with it must fail certificate verification. Returns its `host:port`.
pub fn untrusted_tls_server() -> String {
    use std::io::Read;
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("self-signed certificate");
    let cert = made.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        made.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("server config");
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                // The client aborts the handshake when it sees the certificate.
                let _ = tls.read(&mut [0u8; 1]);
            });
        }
    });
    addr
}
