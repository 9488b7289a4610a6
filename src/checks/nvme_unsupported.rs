//! # nvme-unsupported
//!
//! ## What it does
//! Flags an Alibaba instance whose type requires NVMe (`DescribeInstanceTypes`
//! `NvmeSupport: required`: its cloud disks attach over NVMe) and whose image does not say it
//! supports NVMe (`DescribeImages` `Features.NvmeSupport` other than `supported`; Alibaba
//! treats an image that does not say, such as an imported one, as not supporting it).
//!
//! ## Why it matters
//! `RunInstances` refuses the pair ("The specified instance type requires NVMe but the image
//! does not support NVMe"). It bites newer families (8th and 9th generation types) with
//! custom images: copied or imported images lose or never had the NVMe flag, and the
//! image's constraint list does not always leave such types out.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: web
//!     image: m-bp1imported0000000
//!     instance_type: ecs.g8i.large
//! ```
//! ```text
//! plan.yaml:7:20: error [nvme-unsupported] instance type `ecs.g8i.large` requires NVMe, and image `m-bp1imported0000000` does not support it (NvmeSupport: unsupported)
//! ```
//!
//! ## How to fix
//! Use an image that supports NVMe (recent public images do), or, once the image's kernel has
//! the NVMe driver, mark it (`ModifyImageAttribute` with `Features.NvmeSupport=supported`);
//! or pick a type that does not require NVMe.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "nvme-unsupported",
    summary: "the instance type requires NVMe and the image does not support it",
    severity: Severity::Error,
    needs: &[Need::Image, Need::InstanceType],
    source: include_str!("nvme_unsupported.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let image = p.image()?;
    let wanted = &instance.instance_type.value;
    let kind = p.facts.instance_type(p.api(), p.region(), wanted).ok()??;
    if kind.nvme.as_deref() != Some("required") || image.nvme.as_deref() == Some("supported") {
        return None;
    }
    let said = match &image.nvme {
        Some(value) => format!("NvmeSupport: {value}"),
        None => "its answer does not say, which Alibaba reads as not supported".to_string(),
    };
    Some(
        p.diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "instance type `{wanted}` requires NVMe, and image `{}` does not support it ({said})",
                instance.image.value
            ),
            "requires NVMe",
        )
        .with_related(instance.image.span, "does not support NVMe")
        .with_help(
            "use an image that supports NVMe, or mark this one (`ModifyImageAttribute` `Features.NvmeSupport=supported`) once its kernel has the NVMe driver; or pick a type that does not require NVMe",
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_images_without_nvme_on_types_that_require_it() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n\
            - {name: a, image: old, instance_type: g8i}\n\
            - {name: b, image: new, instance_type: g8i}\n\
            - {name: c, image: silent, instance_type: g8i}\n\
            - {name: d, image: old, instance_type: g6}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"old":{"state":"found","status":"Available","usable":true,"nvme":"unsupported"},
                      "new":{"state":"found","status":"Available","usable":true,"nvme":"supported"},
                      "silent":{"state":"found","status":"Available","usable":true}},
            "instance_types":{"offered":{"g8i":{"nvme":"required"},"g6":{"nvme":"unsupported"}}}}}}}"#;
        let got = findings("nvme-unsupported", plan, facts);
        let lines: Vec<usize> = got.iter().map(|g| g.1).collect();
        assert_eq!(lines, [3, 5], "{got:?}");
        assert!(got[1].2.contains("does not say"), "{}", got[1].2);
    }
}
