//! Verifying many signatures at once.
//!
//! ed25519-dalek's batch check derives its random coefficients from the
//! inputs (a merlin transcript, no OS randomness), so two validators batching
//! the same signatures in the same groups reach the same verdict.

use crate::{PublicKey, Signature};

/// One signature to check.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    pub message: &'a [u8],
    pub signature: &'a [u8],
    pub public_key: &'a PublicKey,
}

/// Returns, for each check, whether its signature is valid. A batch that
/// passes costs about half as much as checking one by one; when it fails,
/// each signature is checked alone to say which ones are bad.
pub fn verify_batch(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    let parsed: Vec<Option<Signature>> = checks.iter().map(|c| Signature::from_bytes(c.signature).ok()).collect();
    if parsed.iter().all(Option::is_some) && !checks.is_empty() {
        let messages: Vec<&[u8]> = checks.iter().map(|c| c.message).collect();
        let signatures: Vec<ed25519_dalek::Signature> = parsed.iter().flatten().map(|s| s.0).collect();
        let keys: Vec<ed25519_dalek::VerifyingKey> = checks.iter().map(|c| c.public_key.0).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            return vec![true; checks.len()];
        }
    }
    checks
        .iter()
        .zip(parsed)
        .map(|(check, sig)| sig.is_some_and(|sig| check.public_key.verify(check.message, &sig).is_ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKeyPair;

    #[test]
    fn batch_reports_each_bad_signature() {
        let keys: Vec<SigningKeyPair> = (0..8u8).map(|i| SigningKeyPair::from_seed([i; 32])).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let messages: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
        let mut sigs: Vec<Vec<u8>> = keys.iter().zip(&messages).map(|(k, m)| k.sign(m).to_bytes().to_vec()).collect();

        let checks = |sigs: &[Vec<u8>]| -> Vec<bool> {
            let cs: Vec<SignatureCheck> = (0..8)
                .map(|i| SignatureCheck { message: &messages[i], signature: &sigs[i], public_key: &publics[i] })
                .collect();
            verify_batch(&cs)
        };
        assert_eq!(checks(&sigs), vec![true; 8]);

        sigs[2][0] ^= 1; // tampered
        sigs[5] = vec![1, 2, 3]; // not even a signature
        sigs.swap(6, 7); // valid signatures by the wrong keys
        assert_eq!(checks(&sigs), vec![true, true, false, true, true, false, false, false]);
    }

    #[test]
    fn empty_batch_is_empty() {
        assert!(verify_batch(&[]).is_empty());
    }
}
