//! "Did you mean" suggestions by edit distance.

/// Edit distance over chars, case-insensitive, where swapping two
/// neighbours counts as one edit (optimal string alignment): `nmae` is one
/// edit from `name`.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
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

/// Up to `most` candidates close enough to `name` to be a typo of it (as
/// close as `best_match` asks, case aside), closest first.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    most: usize,
) -> Vec<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let length = name.chars().count();
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != name && c.chars().count().abs_diff(length) <= limit)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    near.dedup();
    near.into_iter().take(most).map(|(_, c)| c).collect()
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
        assert_eq!(distance("nmae", "name"), 1);
    }

    #[test]
    fn suggests_only_near_names() {
        let keywords = ["param", "let", "resource", "output"];
        assert_eq!(best_match("resoruce", keywords), Some("resource"));
        assert_eq!(best_match("outptu", keywords), Some("output"));
        assert_eq!(best_match("banana", keywords), None);
    }

    #[test]
    fn closest_lists_near_names_closest_first() {
        let ids = ["WebServer", "WebServers", "Web", "DbInstance"];
        assert_eq!(closest("WebServr", ids, 3), ["WebServer", "WebServers"]);
        assert_eq!(closest("web", ids, 3), ["Web"]);
        assert!(closest("banana", ids, 3).is_empty());
    }
}
