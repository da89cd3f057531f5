//! Endorsement and channel policies from templates, contract definitions
//! and configuration updates: any text parses or is refused, what parses
//! prints as text that parses to the same policy, and evaluating it ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_identity::{Policy, Role, Signer};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = Policy::parse(text) else { return };
    let printed = policy.to_string();
    let again = Policy::parse(&printed).unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
    assert_eq!(again, policy, "{printed:?}");
    let orgs: Vec<String> = ["Org1", "Org2", "Org3"].iter().map(|s| s.to_string()).collect();
    let signers: Vec<Signer> = (0..4u8)
        .map(|i| Signer {
            id: weft_identity::IdentityId::of_der(&[i]),
            org: orgs[usize::from(i) % 3].clone(),
            role: if i % 2 == 0 { Role::Peer } else { Role::Admin },
        })
        .collect();
    let _ = policy.is_satisfied_by(&signers, &orgs);
});
