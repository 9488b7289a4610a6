//! Where a cloud's API is: `https` and a host, or an override from the environment or the
//! config file, checked before any request (plain http only to loopback, nothing but a
//! scheme, a host and a port). The default host of each API is its provider's.

/// Where a cloud's API is: scheme and `host[:port]`; each cloud keeps its own paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    pub authority: String,
}

impl Endpoint {
    /// Reads an override such as `http://127.0.0.1:8080`. Plain http is allowed only for
    /// loopback hosts: signed requests never cross a network in the clear. Anything that is not
    /// a scheme, a host and a port is refused here, before any request.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        let bad = |why: &str| format!("`{text}` {why}; write it as https://host[:port]");
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("is not a URL"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        if authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "`{text}`: give only the scheme, host and port; preflight adds each cloud's paths"
            ));
        }
        let url =
            reqwest::Url::parse(text).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
        let Some(host) = url.host_str() else {
            return Err(bad("has no host"));
        };
        // The URL parser lower-cases and normalises; the host must be what was written, so a
        // typo is never quietly turned into another address.
        let written = authority.split_once(']').map_or_else(
            || authority.rsplit_once(':').map_or(authority, |(h, _)| h),
            |(h, _)| h,
        );
        let written = written.trim_start_matches('[');
        if !host.trim_matches(['[', ']']).eq_ignore_ascii_case(written) {
            return Err(bad(&format!("has a host that reads as `{host}`")));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback(authority) => {}
            "http" => {
                return Err(format!(
                    "`{text}`: plain http is allowed only for loopback hosts; use https"
                ));
            }
            other => return Err(format!("`{text}`: unknown scheme `{other}`; use https")),
        }
        Ok(Endpoint {
            scheme: scheme.to_string(),
            authority: authority.to_string(),
        })
    }

    /// The ECS metadata service's address, which only plain http reaches.
    pub const METADATA_HOST: &'static str = "100.100.100.200";

    /// The ECS metadata service: `http://100.100.100.200`.
    pub fn metadata() -> Endpoint {
        Endpoint {
            scheme: "http".to_string(),
            authority: Endpoint::METADATA_HOST.to_string(),
        }
    }

    /// An override of the metadata service: as `parse`, and plain http to the metadata
    /// address too (the only way it answers).
    pub fn parse_metadata(text: &str) -> Result<Endpoint, String> {
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed == format!("http://{}", Endpoint::METADATA_HOST) {
            return Ok(Endpoint::metadata());
        }
        Endpoint::parse(text)
    }

    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

fn is_loopback(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://localhost:1/").is_ok());
        assert!(Endpoint::parse("http://[::1]:9").is_ok());
        assert!(Endpoint::parse("http://10.0.0.1:8080").is_err());
        assert!(Endpoint::parse("http://example.com").is_err());
        assert!(Endpoint::parse("https://example.com:8443").is_ok());
        assert!(Endpoint::parse("https://example.com/v1").is_err());
        assert!(Endpoint::parse("ftp://x").is_err());
        // Malformed: refused before any request, not retried as a connection failure.
        for bad in [
            "https://exa mple.com",
            "https://host:notaport",
            "https://host:99999",
            "https://[::1",
            "https://",
            "https://:443",
            "https://user@host",
            "https://host?x=1",
            "https//host",
            "https://hé llo",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Endpoint::parse("https://vm.jdcloud-api.com/")
                .expect("good")
                .authority,
            "vm.jdcloud-api.com"
        );
    }
}
