//! How the reason of a fact that could not be fetched is worded, where code reads it back.
//! A reason is text all the way (it is what a facts file and the cache hold, and what an
//! `unverified` finding says), so the few phrases that decide something downstream live here,
//! written by the clouds' clients and read by the credentials check and by `unverified`: a
//! change to one cannot leave the other matching words nobody writes any more.

/// A cloud's authentication error.
const REFUSED: &str = "refused the credentials";
/// STS turning down a role assumption.
const STS_REFUSED: &str = "STS refused";
/// An answer that lacks the place asked about (it was signed and accepted).
const SAID_NOTHING: &str = "said nothing about";
/// An answer with an HTTP error status that is not an authentication error.
const ANSWERED_HTTP: &str = "answered HTTP";
/// An `--offline` run asking what the cache does not hold.
const OFFLINE: &str = " is not in the cache, and --offline forbids asking ";

/// "<cloud> refused the credentials (<detail>)".
pub fn refused(cloud: &str, detail: &str) -> String {
    format!("{cloud} {REFUSED} ({detail})")
}

/// "STS refused <what>".
pub fn sts_refused(what: &str) -> String {
    format!("{STS_REFUSED} {what}")
}

/// "<cloud> answered HTTP <status> <detail>", without trailing space.
pub fn answered(cloud: &str, status: u16, detail: &str) -> String {
    format!("{cloud} {ANSWERED_HTTP} {status} {detail}")
        .trim_end()
        .to_string()
}

/// "<operation>: <cloud> said nothing about <what>".
pub fn said_nothing(operation: &str, cloud: &str, what: &str) -> String {
    format!("{operation}: {cloud} {SAID_NOTHING} {what}")
}

/// "<operation> is not in the cache, and --offline forbids asking <cloud>".
pub fn offline(operation: &str, cloud: &str) -> String {
    format!("{operation}{OFFLINE}{cloud}")
}

/// Whether `why` says the credentials (or the role) were refused.
pub fn is_refused(why: &str) -> bool {
    why.contains(REFUSED) || why.contains(STS_REFUSED)
}

/// Whether `why` says the cloud answered the signed call, so the key was accepted: an answer
/// that lacks the place, or an HTTP 4xx that is not an authentication error.
pub fn is_answered(why: &str) -> bool {
    !is_refused(why) && (why.contains(SAID_NOTHING) || why.contains(&format!(" {ANSWERED_HTTP} 4")))
}

/// For an `--offline` reason ("…: DescribeImages is not in the cache, and --offline forbids
/// asking Alibaba Cloud"), the call and the cloud.
pub fn offline_parts(why: &str) -> Option<(&str, &str)> {
    let (before, cloud) = why.split_once(OFFLINE)?;
    Some((before.rsplit(": ").next().unwrap_or(before), cloud))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_what_is_read() {
        assert!(is_refused(&refused("JD Cloud", "HTTP 401 UNAUTHENTICATED")));
        assert!(is_refused(&sts_refused("AssumeRole into r: HTTP 403")));
        assert!(is_answered(&answered("Zenlayer", 404, "NOT_FOUND: x")));
        assert!(!is_answered(&answered("Zenlayer", 500, "INTERNAL")));
        assert!(is_answered(&said_nothing(
            "DescribeImageQuota",
            "Zenlayer",
            "zone `A`"
        )));
        assert!(!is_answered(&refused("Zenlayer", "HTTP 403 X")));
        let why = format!("images: {}", offline("DescribeImages", "Alibaba Cloud"));
        assert_eq!(
            offline_parts(&why),
            Some(("DescribeImages", "Alibaba Cloud"))
        );
        assert_eq!(offline_parts("DescribeImages failed"), None);
        assert_eq!(answered("JD Cloud", 429, ""), "JD Cloud answered HTTP 429");
    }
}
