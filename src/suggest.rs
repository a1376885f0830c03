//! "Did you mean" suggestions by edit distance.

/// Levenshtein distance over chars, case-insensitive.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a typo.
pub fn best_match<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let length = name.chars().count();
    candidates
        .into_iter()
        .filter(|c| *c != name && c.len().abs_diff(length) <= limit)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("resource", "resource"), 0);
        assert_eq!(distance("resoure", "resource"), 1);
        assert_eq!(distance("parm", "param"), 1);
        assert_eq!(distance("abc", ""), 3);
    }

    #[test]
    fn suggests_only_near_names() {
        let keywords = ["param", "let", "resource", "output"];
        assert_eq!(best_match("resoruce", keywords), Some("resource"));
        assert_eq!(best_match("outptu", keywords), Some("output"));
        assert_eq!(best_match("banana", keywords), None);
    }
}
