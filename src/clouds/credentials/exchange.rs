//! Turning a source into a key: STS `AssumeRole` (an RPC call signed with the source's key,
//! HMAC-SHA1, as `alibabacloud_credentials/provider/ram_role_arn.py` sends it), STS
//! `AssumeRoleWithOIDC` (unsigned; the token file's contents are the proof, `oidc.py`), the
//! ECS metadata service (`ecs_ram_role.py`: a session token by `PUT /latest/api/token`, then
//! the role name and its credentials, falling back to plain GETs unless
//! `ALIBABA_CLOUD_IMDSV1_DISABLED=true`), and a credentials URI (`uri.py`). The answers'
//! `Credentials{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` are held in memory
//! for the run; nothing of them is cached or logged, and error messages never quote a secret
//! or a token.

use std::time::Duration;

use super::{Credentials, Found, Secret, Source};
use crate::clouds::Endpoint;
use crate::clouds::http::{Call, Http, Response};

/// What the exchanges need: the transport, and where STS and the metadata service are.
pub struct Exchanger<'a> {
    pub http: &'a Http,
    /// `PREFLIGHT_ALIYUN_STS_ENDPOINT`: replaces the scheme, host and port of STS.
    pub sts: Option<Endpoint>,
    /// `PREFLIGHT_ALIYUN_METADATA_ENDPOINT`, default `http://100.100.100.200`.
    pub metadata: Endpoint,
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`: no plain GETs without a session token.
    pub imds_v1_disabled: bool,
}

impl<'a> Exchanger<'a> {
    /// Where `config` puts STS and the metadata service.
    pub fn new(http: &'a Http, config: &crate::clouds::FetchConfig) -> Exchanger<'a> {
        Exchanger {
            http,
            sts: config.sts_endpoint.clone(),
            metadata: config.metadata_endpoint.clone(),
            imds_v1_disabled: (config.env)("ALIBABA_CLOUD_IMDSV1_DISABLED")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }
    }
}

/// STS's API version and the metadata service's paths.
const STS_VERSION: &str = "2015-04-01";
const METADATA_TOKEN: &str = "/latest/api/token";
const METADATA_ROLES: &str = "/latest/meta-data/ram/security-credentials/";
/// The metadata service answers at once or not at all (off ECS): the SDK waits 1 s.
const METADATA_TIMEOUT: Duration = Duration::from_secs(1);
const STS_TIMEOUT: Duration = Duration::from_secs(10);

/// The key `found` stands for, asking STS or the metadata service when it takes that.
pub async fn resolve(found: &Found, ex: &Exchanger<'_>) -> Result<Credentials, String> {
    resolve_source(&found.source, ex).await
}

fn resolve_source<'a>(
    source: &'a Source,
    ex: &'a Exchanger<'_>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Credentials, String>> + 'a>> {
    Box::pin(async move {
        match source {
            Source::Key(c) => Ok(c.clone()),
            Source::AssumeRole(role) => {
                let with = resolve_source(&role.with, ex).await?;
                assume_role(role, &with, ex).await
            }
            Source::Oidc(oidc) => assume_role_with_oidc(oidc, ex).await,
            Source::EcsRole { role } => ecs_role(role.as_deref(), ex).await,
            Source::EcsRoleOr { role, uri } => match ecs_role(role.as_deref(), ex).await {
                Ok(c) => Ok(c),
                Err(_) => from_uri(uri, ex).await,
            },
            Source::Uri(uri) => from_uri(uri, ex).await,
        }
    })
}

/// `https://sts…/?…`, or the override's scheme and authority.
fn sts_url(ex: &Exchanger, host: &str, query: &str) -> String {
    match &ex.sts {
        Some(e) => format!("{}/?{query}", e.base()),
        None => format!("https://{host}/?{query}"),
    }
}

async fn assume_role(
    role: &super::AssumeRole,
    with: &Credentials,
    ex: &Exchanger<'_>,
) -> Result<Credentials, String> {
    let build = || {
        let mut params: Vec<(String, String)> = vec![
            ("Action".into(), super::ASSUME_ROLE.into()),
            ("DurationSeconds".into(), role.seconds.to_string()),
            ("RoleArn".into(), role.role_arn.clone()),
            ("RoleSessionName".into(), role.session.clone()),
        ];
        if let Some(policy) = &role.policy {
            params.push(("Policy".into(), policy.clone()));
        }
        if let Some(id) = &role.external_id {
            params.push(("ExternalId".into(), id.clone()));
        }
        signed_sts(ex, &role.sts_host, params, with)
    };
    let answer = ex
        .http
        .exchange("STS AssumeRole", build, STS_TIMEOUT)
        .await
        .map_err(|e| format!("STS AssumeRole into {} failed: {e}", role.role_arn))?;
    sts_credentials(
        &answer,
        "AssumeRole",
        &role.role_arn,
        &[with.secret.expose()],
    )
    .map(|c| Credentials {
        scope: format!("role:{}", role.role_arn),
        ..c
    })
}

/// A GET to STS signed with `with` (RPC v1, HMAC-SHA1), carrying `params` and the common ones.
pub fn signed_sts(
    ex: &Exchanger,
    host: &str,
    mut params: Vec<(String, String)>,
    with: &Credentials,
) -> Call {
    use crate::clouds::aliyun::sign::{date, sign_v1};
    use crate::clouds::sign::{now, query_string};
    params.extend([
        ("Format".into(), "JSON".into()),
        ("Version".into(), STS_VERSION.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("Timestamp".into(), date(now())),
        ("SignatureNonce".into(), uuid::Uuid::new_v4().to_string()),
        ("AccessKeyId".into(), with.access_key_id.clone()),
    ]);
    if let Some(token) = &with.token {
        params.push(("SecurityToken".into(), token.expose().to_string()));
    }
    let (_, signature) = sign_v1(with.secret.expose(), "GET", &params);
    params.push(("Signature".into(), signature));
    Call {
        method: reqwest::Method::GET,
        url: sts_url(ex, host, &query_string(&params)),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

async fn assume_role_with_oidc(
    oidc: &super::Oidc,
    ex: &Exchanger<'_>,
) -> Result<Credentials, String> {
    use crate::clouds::aliyun::sign::date;
    use crate::clouds::sign::{now, query_string};
    let token = super::read_small(std::path::Path::new(&oidc.token_file))?
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            format!(
                "the OIDC token file {} cannot be read or is empty (in GitHub Actions, write it from the ID token first; see the README)",
                oidc.token_file
            )
        })?;
    let build = || {
        let mut params: Vec<(String, String)> = vec![
            ("Action".into(), "AssumeRoleWithOIDC".into()),
            ("Format".into(), "JSON".into()),
            ("Version".into(), STS_VERSION.into()),
            ("DurationSeconds".into(), oidc.seconds.to_string()),
            ("RoleArn".into(), oidc.role_arn.clone()),
            ("OIDCProviderArn".into(), oidc.provider_arn.clone()),
            ("OIDCToken".into(), token.clone()),
            ("RoleSessionName".into(), oidc.session.clone()),
            ("Timestamp".into(), date(now())),
        ];
        if let Some(policy) = &oidc.policy {
            params.push(("Policy".into(), policy.clone()));
        }
        Call {
            method: reqwest::Method::GET,
            url: sts_url(ex, &oidc.sts_host, &query_string(&params)),
            headers: Vec::new(),
            body: Vec::new(),
        }
    };
    let answer = ex
        .http
        .exchange("STS AssumeRoleWithOIDC", build, STS_TIMEOUT)
        .await
        .map_err(|e| format!("STS AssumeRoleWithOIDC into {} failed: {e}", oidc.role_arn))?;
    sts_credentials(&answer, "AssumeRoleWithOIDC", &oidc.role_arn, &[&token]).map(|c| Credentials {
        scope: format!("role:{}", oidc.role_arn),
        ..c
    })
}

/// STS's answer: `{"Credentials": {…}}`, or `{"Code", "Message"}`. `secrets` never appear in
/// what is said about a refusal.
fn sts_credentials(
    r: &Response,
    action: &str,
    role: &str,
    secrets: &[&str],
) -> Result<Credentials, String> {
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    if r.status != 200 {
        let code = json["Code"].as_str().unwrap_or("");
        let message = scrub(json["Message"].as_str().unwrap_or(""), secrets);
        return Err(crate::facts::reason::sts_refused(&format!(
            "{action} into {role}: HTTP {} {code}{}",
            r.status,
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        )));
    }
    temporary(&json["Credentials"])
        .ok_or_else(|| format!("STS's {action} answer has no Credentials"))
}

/// `{AccessKeyId, AccessKeySecret, SecurityToken}` as a key with its token.
fn temporary(c: &serde_json::Value) -> Option<Credentials> {
    let text = |k: &str| c[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let id = text("AccessKeyId")?;
    Some(Credentials {
        scope: id.clone(),
        access_key_id: id,
        secret: Secret::new(text("AccessKeySecret")?),
        token: Some(Secret::new(text("SecurityToken")?)),
    })
}

/// A message with every secret in it replaced by `***`.
fn scrub(message: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(message.to_string(), |m, s| m.replace(*s, "***"))
}

async fn ecs_role(role: Option<&str>, ex: &Exchanger<'_>) -> Result<Credentials, String> {
    let base = ex.metadata.base();
    let off_ecs = |e: String| format!("the ECS metadata service ({base}) did not answer ({e})");
    // Hardened mode first; without a session token, plain GETs unless those are turned off.
    let token = {
        let build = || Call {
            method: reqwest::Method::PUT,
            url: format!("{base}{METADATA_TOKEN}"),
            headers: vec![(
                "X-aliyun-ecs-metadata-token-ttl-seconds".into(),
                "21600".into(),
            )],
            body: Vec::new(),
        };
        match ex
            .http
            .exchange("ECS metadata token", build, METADATA_TIMEOUT)
            .await
        {
            Ok(r) if r.status == 200 => Some(String::from_utf8_lossy(&r.body).trim().to_string()),
            Ok(r) if ex.imds_v1_disabled => {
                return Err(off_ecs(format!("HTTP {} for a session token", r.status)));
            }
            Err(e) if ex.imds_v1_disabled => return Err(off_ecs(e)),
            // No answer at all: not on ECS (or the service is down).
            Err(e) => return Err(off_ecs(e)),
            Ok(_) => None,
        }
    };
    let get = |path: String| {
        let token = token.clone();
        move || Call {
            method: reqwest::Method::GET,
            url: path.clone(),
            headers: token
                .iter()
                .map(|t| ("X-aliyun-ecs-metadata-token".to_string(), t.clone()))
                .collect(),
            body: Vec::new(),
        }
    };
    let role = match role {
        Some(r) => r.to_string(),
        None => {
            let r = ex
                .http
                .exchange(
                    "ECS metadata role",
                    get(format!("{base}{METADATA_ROLES}")),
                    METADATA_TIMEOUT,
                )
                .await
                .map_err(off_ecs)?;
            let name = String::from_utf8_lossy(&r.body).trim().to_string();
            if r.status != 200 || name.is_empty() {
                return Err(format!(
                    "the ECS metadata service names no RAM role for this instance (HTTP {})",
                    r.status
                ));
            }
            name
        }
    };
    let r = ex
        .http
        .exchange(
            "ECS metadata credentials",
            get(format!("{base}{METADATA_ROLES}{role}")),
            METADATA_TIMEOUT,
        )
        .await
        .map_err(off_ecs)?;
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    if r.status != 200 || json["Code"].as_str() != Some("Success") {
        return Err(format!(
            "the ECS metadata service gave no credentials for RAM role `{role}` (HTTP {}, {})",
            r.status,
            json["Code"].as_str().unwrap_or("no Code")
        ));
    }
    temporary(&json)
        .map(|c| Credentials {
            scope: format!("ecs-ram-role:{role}"),
            ..c
        })
        .ok_or_else(|| format!("the ECS metadata service's answer for `{role}` has no key"))
}

/// `ALIBABA_CLOUD_CREDENTIALS_URI`: GET it, read `{Code: "Success", AccessKeyId, …}`. Plain
/// http only to a loopback host.
async fn from_uri(uri: &str, ex: &Exchanger<'_>) -> Result<Credentials, String> {
    let url = reqwest::Url::parse(uri)
        .map_err(|e| format!("ALIBABA_CLOUD_CREDENTIALS_URI is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "ALIBABA_CLOUD_CREDENTIALS_URI uses {}:// to {host}: credentials travel over https, or plain http only to a loopback host",
                url.scheme()
            ));
        }
    }
    let build = || Call {
        method: reqwest::Method::GET,
        url: uri.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let r = ex
        .http
        .exchange("credentials URI", build, STS_TIMEOUT)
        .await
        .map_err(|e| format!("ALIBABA_CLOUD_CREDENTIALS_URI ({host}) did not answer: {e}"))?;
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    if r.status != 200 || json["Code"].as_str() != Some("Success") {
        return Err(format!(
            "ALIBABA_CLOUD_CREDENTIALS_URI ({host}) gave no credentials (HTTP {}, {})",
            r.status,
            json["Code"].as_str().unwrap_or("no Code")
        ));
    }
    temporary(&json)
        .map(|c| Credentials {
            scope: format!("uri:{uri}"),
            ..c
        })
        .ok_or_else(|| format!("ALIBABA_CLOUD_CREDENTIALS_URI ({host}) answered without a key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_never_quote_a_secret() {
        assert_eq!(
            scrub(
                "Illegal OIDC token eyJhbGciOi.abc.def",
                &["eyJhbGciOi.abc.def"]
            ),
            "Illegal OIDC token ***"
        );
    }
}
