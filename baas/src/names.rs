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

/// The rules above as JSON Schema patterns, for the OpenAPI document.
/// utoipa's attributes take only literals, so they repeat these strings; a
/// test holds every pattern in the document to one of these and each of
/// these to its rule.
pub const SLUG_PATTERN: &str = "^[a-z0-9-]{1,64}$";
pub const WORD_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";
/// A new tenant user: a word of 3–64, `@this-tenant` optional.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._-]{3,64}(@[a-z0-9-]{1,64})?$";
pub const LOGIN_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}(@[a-z0-9-]{1,64})?$";
/// Org and contract ids (`weft_provision::valid_id`).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";
pub const MONTH_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])$";
/// An absolute path on the BaaS host (`Path::is_absolute`).
pub const ABSOLUTE_PATH_PATTERN: &str = "^/";
/// A channel id (`weft_proto::ChannelId::new`).
pub const CHANNEL_PATTERN: &str = "^[a-z][a-z0-9.-]{0,248}$";
/// Every pattern the OpenAPI document may carry.
pub const PATTERNS: [&str; 8] = [
    SLUG_PATTERN,
    WORD_PATTERN,
    USERNAME_PATTERN,
    LOGIN_PATTERN,
    ID_PATTERN,
    MONTH_PATTERN,
    ABSOLUTE_PATH_PATTERN,
    CHANNEL_PATTERN,
];

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

    /// Each pattern accepts exactly what its rule accepts, over names at
    /// and past every edge.
    #[test]
    fn patterns_say_what_the_rules_check() {
        let re = |p: &str| regex::Regex::new(p).unwrap();
        let mut samples: Vec<String> = ["", "a", "ab", "abc", "Acme", "acme-2", "a b", "a.b_c-1", "é", "a\n", "a@b"]
            .into_iter()
            .map(String::from)
            .collect();
        for n in [63, 64, 65] {
            samples.push("a".repeat(n));
            samples.push(format!("ann@{}", "t".repeat(n)));
            samples.push(format!("{}@acme", "a".repeat(n)));
        }
        samples.extend(["ann@acme", "ann@Acme", "@acme", "a@b@c", "x_y@t-1", "ann@"].map(String::from));
        samples.extend(["a.b-1", "1a", "-a", "a_b"].map(String::from));
        samples.extend([249, 250].map(|n| "c".repeat(n)));
        for s in &samples {
            let channel = weft_proto::ChannelId::new(s.as_str()).is_ok();
            assert_eq!(re(CHANNEL_PATTERN).is_match(s), channel, "channel {s:?}");
            assert_eq!(re(SLUG_PATTERN).is_match(s), slug(s), "slug {s:?}");
            assert_eq!(re(WORD_PATTERN).is_match(s), word(s, 1), "word {s:?}");
            assert_eq!(re(LOGIN_PATTERN).is_match(s), login(s), "login {s:?}");
            assert_eq!(re(ID_PATTERN).is_match(s), weft_provision::valid_id(s), "id {s:?}");
            let user = match s.split_once('@') {
                None => word(s, 3),
                Some((person, tenant)) => word(person, 3) && slug(tenant),
            };
            assert_eq!(re(USERNAME_PATTERN).is_match(s), user, "username {s:?}");
        }
        for p in ["/usr/bin/weft-node", "/", "bin/weft-node", "", " /x", "./x"] {
            assert_eq!(re(ABSOLUTE_PATH_PATTERN).is_match(p), std::path::Path::new(p).is_absolute(), "{p:?}");
        }
        for m in ["2026-01", "2026-12", "0001-09"] {
            assert!(re(MONTH_PATTERN).is_match(m) && crate::billing::Month::parse(m).is_ok(), "{m}");
        }
        for m in ["2026-00", "2026-13", "26-01", "2026-1", "2026-001", "+026-01", "2026-01\n"] {
            assert!(!re(MONTH_PATTERN).is_match(m) && crate::billing::Month::parse(m).is_err(), "{m}");
        }
    }
}
