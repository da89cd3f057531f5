//! Network templates as tenants upload them to the BaaS: any text parses
//! or is refused with a sentence, and what parses has sizes whose sums and
//! products over its nodes fit the BaaS's i64 arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_provision::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(t) = Template::parse(text, "fuzz") else { return };
    let mut memory: i128 = 0;
    for org in &t.orgs {
        let r = t.resources_of(org);
        memory += i128::from(r.memory_mb) * i128::from(org.nodes) + i128::from(r.disk_gb) * i128::from(org.nodes);
        assert!(r.cpu.is_finite() && r.cpu > 0.0);
    }
    assert!(memory < i128::from(i64::MAX), "a template's demand overflows i64: {memory}");
    let _ = t.node_count();
    let _ = t.consensus_config();
});
