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

/// What a person signs in with: a platform user's bare name, or a
/// tenant user's `name@tenant` (usernames are unique per tenant, so no
/// tenant learns another's names from a "taken").
pub fn login(name: &str) -> bool {
    match name.split_once('@') {
        None => word(name, 1),
        Some((person, tenant)) => word(person, 1) && slug(tenant),
    }
}

/// The name a tenant's user signs in with: `person@tenant`.
pub fn qualified(person: &str, tenant: &str) -> String {
    format!("{person}@{tenant}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(slug("acme-2") && !slug("Acme") && !slug("") && !slug(&"a".repeat(65)));
        assert!(word("alice.b_c-1", 3) && !word("al", 3) && word("x", 1) && !word("a b", 1));
        assert!(login("admin") && login("ann@acme-2") && !login("ann@Acme") && !login("@acme") && !login("a@b@c"));
        assert!(login(&qualified(&"a".repeat(64), &"t".repeat(64))));
    }
}
