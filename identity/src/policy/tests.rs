use super::*;

fn signer(n: u8, org: &str, role: Role) -> Signer {
    Signer { id: crate::IdentityId([n; 32]), org: org.to_owned(), role }
}

fn orgs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn parses_and_prints_canonically() {
    let table = [
        ("'Org1.peer'", "'Org1.peer'"),
        ("AND('Org1.peer', 'Org2.peer')", "AND('Org1.peer', 'Org2.peer')"),
        ("and ( \"Org1.peer\" ,'Org2.admin' )", "AND('Org1.peer', 'Org2.admin')"),
        (
            "OR('Org1.member', AND('Org2.client','Org3.orderer'))",
            "OR('Org1.member', AND('Org2.client', 'Org3.orderer'))",
        ),
        ("OutOf(2, 'A.peer', 'B.peer', 'C.peer')", "OutOf(2, 'A.peer', 'B.peer', 'C.peer')"),
        ("MAJORITY", "MAJORITY(member)"),
        ("majority(admin)", "MAJORITY(admin)"),
        ("ANY(peer)", "ANY(peer)"),
        ("ALL", "ALL(member)"),
        ("'org.with.dots.peer'", "'org.with.dots.peer'"),
    ];
    for (text, canonical) in table {
        let policy = Policy::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(policy.to_string(), canonical, "{text}");
        assert_eq!(Policy::parse(canonical).unwrap(), policy, "reparse of {canonical}");
    }
}

#[test]
fn parse_errors_name_the_position() {
    let table: [(&str, usize, &str); 13] = [
        ("", 0, "expected AND"),
        ("AND('Org1.peer'", 15, "expected ',' or ')'"),
        ("AND('Org1.peer',)", 16, "expected AND"),
        ("AND()", 0, "at least one"),
        ("XOR('A.peer')", 0, "unknown keyword 'XOR'"),
        ("'Org1.peer", 0, "unterminated"),
        ("'Org1peer'", 1, "must be 'Org.role'"),
        // Found by fuzzing: it printed as three principals.
        ("\"eer', OR('O.peer', 'Org3.admin\"", 4, "may contain only letters"),
        ("'Org1.king'", 6, "unknown role 'king'"),
        ("OutOf(x, 'A.peer')", 6, "needs a count"),
        ("OutOf(3, 'A.peer', 'B.peer')", 0, "between 1 and that"),
        ("MAJORITY(wizard)", 9, "unknown role 'wizard'"),
        ("'A.peer' 'B.peer'", 9, "after the end"),
    ];
    for (text, position, fragment) in table {
        let err = Policy::parse(text).expect_err(text);
        assert_eq!(err.position, position, "{text}: {err}");
        assert!(err.message.contains(fragment), "{text}: {err}");
    }
}

#[test]
fn deep_nesting_is_rejected_not_a_stack_overflow() {
    let text = format!("{}'A.peer'{}", "OR(".repeat(1000), ")".repeat(1000));
    assert!(Policy::parse(&text).unwrap_err().message.contains("nested deeper"));
}

#[test]
fn evaluation_table() {
    let p1 = signer(1, "Org1", Role::Peer);
    let p1b = signer(2, "Org1", Role::Peer);
    let a1 = signer(3, "Org1", Role::Admin);
    let p2 = signer(4, "Org2", Role::Peer);
    let a2 = signer(5, "Org2", Role::Admin);
    let c3 = signer(6, "Org3", Role::Client);
    let three = orgs(&["Org1", "Org2", "Org3"]);
    let table: Vec<(&str, Vec<Signer>, bool)> = vec![
        ("'Org1.peer'", vec![p1.clone()], true),
        ("'Org1.peer'", vec![a1.clone()], false),
        ("'Org1.member'", vec![a1.clone()], true),
        ("'Org1.peer'", vec![p2.clone()], false),
        ("AND('Org1.peer', 'Org2.peer')", vec![p1.clone(), p2.clone()], true),
        ("AND('Org1.peer', 'Org2.peer')", vec![p1.clone()], false),
        ("OR('Org1.peer', 'Org2.peer')", vec![p2.clone()], true),
        ("OR('Org1.peer', 'Org2.peer')", vec![c3.clone()], false),
        // one identity counted once
        ("AND('Org1.peer', 'Org1.peer')", vec![p1.clone()], false),
        ("AND('Org1.peer', 'Org1.peer')", vec![p1.clone(), p1.clone()], false),
        ("AND('Org1.peer', 'Org1.peer')", vec![p1.clone(), p1b.clone()], true),
        ("AND('Org1.member', 'Org1.admin')", vec![a1.clone()], false),
        // greedy would give the admin to the first principal and fail
        ("AND('Org1.member', 'Org1.admin')", vec![a1.clone(), p1.clone()], true),
        ("AND(OR('Org1.peer','Org1.admin'), 'Org1.admin')", vec![a1.clone(), p1.clone()], true),
        ("OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.client')", vec![p2.clone(), c3.clone()], true),
        ("OutOf(2, 'Org1.peer', 'Org2.peer', 'Org3.client')", vec![c3.clone()], false),
        ("OutOf(2, 'Org1.member', 'Org1.member', 'Org2.peer')", vec![a1.clone(), p1.clone()], true),
        ("MAJORITY", vec![p1.clone(), c3.clone()], true),
        ("MAJORITY", vec![p1.clone(), a1.clone()], false),
        ("MAJORITY(admin)", vec![a1.clone(), a2.clone()], true),
        ("MAJORITY(admin)", vec![a1.clone(), p2.clone()], false),
        ("ANY(client)", vec![c3.clone()], true),
        ("ANY(client)", vec![p1.clone(), p2.clone()], false),
        ("ALL", vec![p1.clone(), p2.clone(), c3.clone()], true),
        ("ALL", vec![p1.clone(), p2.clone()], false),
        ("AND(MAJORITY(peer), 'Org3.client')", vec![p1.clone(), p2.clone(), c3.clone()], true),
        ("'Org1.peer'", vec![], false),
    ];
    for (text, signers, expected) in table {
        let policy = Policy::parse(text).unwrap();
        assert_eq!(policy.is_satisfied_by(&signers, &three), expected, "{text} with {signers:?}");
    }
}

#[test]
fn majority_depends_on_the_channel_orgs() {
    let policy = Policy::parse("MAJORITY(peer)").unwrap();
    let s = [signer(1, "Org1", Role::Peer), signer(2, "Org2", Role::Peer)];
    assert!(policy.is_satisfied_by(&s, &orgs(&["Org1", "Org2", "Org3"])));
    assert!(!policy.is_satisfied_by(&s, &orgs(&["Org1", "Org2", "Org3", "Org4"])));
    assert!(!policy.is_satisfied_by(&s, &[]));
}

#[test]
fn hostile_policy_is_bounded() {
    // 16 identical principals over 40 matching signers would be 40!/24! paths
    // without the budget; the answer must still come back.
    let text = format!("AND({})", vec!["'A.peer'"; 16].join(","));
    let policy = Policy::parse(&text).unwrap();
    let signers: Vec<Signer> = (0..15).map(|i| signer(i, "A", Role::Peer)).collect();
    assert!(!policy.is_satisfied_by(&signers, &[]));
    let enough: Vec<Signer> = (0..16).map(|i| signer(i, "A", Role::Peer)).collect();
    assert!(policy.is_satisfied_by(&enough, &[]));
}
