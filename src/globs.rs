//! Every glob a user writes (`--include`, `--exclude`, the config file's lists, a rule file's
//! `when`, `includes` and `excludes`) is compiled here, within limits: a pattern's length,
//! how deep its `{a,b}` alternatives nest and how many there are. globset panics when a
//! single pattern's regex outgrows its size limit, and a set built from such patterns fails
//! as a whole; past the limits, or when globset still refuses, the pattern is an error the
//! caller reports at its place, so a list never vanishes and a rule never silently stops
//! firing.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// The longest pattern, in bytes.
pub const MAX_LENGTH: usize = 1024;
/// How deep `{…}` may nest.
pub const MAX_NESTING: usize = 8;
/// How many `{…}` groups and alternatives one pattern may have.
pub const MAX_ALTERNATIVES: usize = 256;

/// One compiled pattern: a set of one, whose building reports a size error where
/// `Glob::compile_matcher` would panic.
#[derive(Debug, Clone)]
pub struct Matcher(GlobSet);

impl Matcher {
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

/// Compiles one pattern; `literal_separator` makes `*` stop at `/` (paths).
pub fn matcher(pattern: &str, literal_separator: bool) -> Result<Matcher, String> {
    one(parse(pattern, literal_separator)?).map(Matcher)
}

/// A set of one glob: building it is where a too-large regex shows, as an error.
fn one(glob: Glob) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    builder.add(glob);
    builder.build().map_err(|e| too_big(&e))
}

/// Compiles a list of patterns into one set: `Err` names each pattern that is wrong (its
/// index and why), or, when only the whole set is too big, the first.
pub fn set(patterns: &[String]) -> Result<GlobSet, Vec<(usize, String)>> {
    let mut builder = GlobSetBuilder::new();
    let mut globs = Vec::new();
    let mut errors = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match parse(p, false) {
            Ok(glob) => {
                builder.add(glob.clone());
                globs.push((i, glob));
            }
            Err(why) => errors.push((i, why)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    builder.build().map_err(|e| {
        // Only when the set fails is each pattern built alone, to name the one at fault.
        let alone: Vec<(usize, String)> = globs
            .into_iter()
            .filter_map(|(i, glob)| one(glob).err().map(|why| (i, why)))
            .collect();
        if alone.is_empty() {
            vec![(0, format!("the patterns together are {}", too_big(&e)))]
        } else {
            alone
        }
    })
}

fn parse(pattern: &str, literal_separator: bool) -> Result<Glob, String> {
    within_limits(pattern)?;
    GlobBuilder::new(pattern)
        .literal_separator(literal_separator)
        .build()
        .map_err(|e| e.kind().to_string())
}

fn too_big(e: &globset::Error) -> String {
    format!("too large to compile ({})", e.kind())
}

/// The limits, checked on the text before globset sees it.
fn within_limits(pattern: &str) -> Result<(), String> {
    if pattern.len() > MAX_LENGTH {
        return Err(format!(
            "it is {} bytes long; preflight allows {MAX_LENGTH}",
            pattern.len()
        ));
    }
    let (mut depth, mut deepest, mut alternatives) = (0usize, 0usize, 0usize);
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => {
                depth += 1;
                deepest = deepest.max(depth);
                alternatives += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            ',' if depth > 0 => alternatives += 1,
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        return Err(format!(
            "its `{{…}}` alternatives nest {deepest} deep; preflight allows {MAX_NESTING}"
        ));
    }
    if alternatives > MAX_ALTERNATIVES {
        return Err(format!(
            "it has {alternatives} `{{…}}` alternatives; preflight allows {MAX_ALTERNATIVES}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        let mut p = String::from("a");
        for _ in 0..depth {
            p = format!("{{{p},b}}");
        }
        p
    }

    #[test]
    fn ordinary_patterns_compile_and_match() {
        let m = matcher("ecs.{g7,c7}.*", false).expect("compiles");
        assert!(m.is_match("ecs.g7.large"));
        assert!(!m.is_match("ecs.r7.large"));
        let paths = matcher("envs/*.yaml", true).expect("compiles");
        assert!(!paths.is_match("envs/a/b.yaml"), "`*` stops at `/`");
        assert!(set(&["a*".into(), "{b,c}".into()]).is_ok());
    }

    #[test]
    fn patterns_past_the_limits_are_errors_never_panics() {
        assert!(matcher(&nested(MAX_NESTING), false).is_ok());
        let deep = matcher(&nested(200), false).expect_err("too deep");
        assert!(deep.contains("nest 200 deep"), "{deep}");
        let long = "a".repeat(MAX_LENGTH + 1);
        assert!(matcher(&long, false).is_err());
        let wide = format!("{{{}}}", vec!["x"; 300].join(","));
        assert!(
            matcher(&wide, false)
                .expect_err("wide")
                .contains("alternatives")
        );
        let errors = set(&["ok*".into(), nested(50), "[".into()]).expect_err("two bad");
        let at: Vec<usize> = errors.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, [1, 2], "each bad pattern is named: {errors:?}");
    }
}
