//! What names the API accepts, one rule each, so every route says the same.

/// Tenant and chain names: 1–64 lower-case letters, digits and '-' (they
/// appear in URLs and directory names).
pub fn slug(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Usernames and certificate common names: `min`–64 letters, digits, '.',
/// '_' and '-'.
pub fn word(name: &str, min: usize) -> bool {
    (min..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(slug("acme-2") && !slug("Acme") && !slug("") && !slug(&"a".repeat(65)));
        assert!(word("alice.b_c-1", 3) && !word("al", 3) && word("x", 1) && !word("a b", 1));
    }
}
