//! "Did you mean" for every place a user can mistype a name: keys, clouds, rule ids,
//! instance types.

/// The candidates closest to `input`, best first, at most `limit`, none that are far off.
pub fn closest<'a, I>(input: &str, candidates: I, limit: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input_lower = input.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter(|c| *c != input)
        .map(|c| {
            (
                strsim::jaro_winkler(&input_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// The single closest candidate, for a one-line "did you mean `x`?".
pub fn best<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(input, candidates, 1).into_iter().next()
}

/// `` `a`, `b` or `c` `` for a help line.
pub fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["name", "image", "instance_type", "region", "cloud"];
        assert_eq!(best("imgae", keys), Some("image"));
        assert_eq!(best("regoin", keys), Some("region"));
        assert_eq!(best("zzzzzz", keys), None);
    }

    #[test]
    fn ranks_best_first() {
        let types = ["g.n4.xlarge", "g.n4.large", "g.n4.2xlarge", "c.n4.xlarge"];
        let got = closest("g.n4.xlarg", types, 2);
        assert_eq!(got[0], "g.n4.xlarge");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn quotes_lists_like_prose() {
        assert_eq!(quoted_list(&["a"]), "`a`");
        assert_eq!(quoted_list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
