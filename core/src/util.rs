//! Small helpers shared across modules.

/// `", did you mean 'x'?"` when a candidate is close to `word` (edit distance ≤ 2 or a prefix), else `""`.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(word.len() / 4) || c.starts_with(word) || word.starts_with(c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) => format!(", did you mean '{c}'?"),
        None => String::new(),
    }
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("imges_dir", ["images_dir", "masks_dir"]),
            ", did you mean 'images_dir'?"
        );
        assert_eq!(did_you_mean("zzz", ["images_dir"]), "");
    }
}
