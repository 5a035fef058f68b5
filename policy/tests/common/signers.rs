//! Signers for the tests and the benchmark: what a publisher's tools would produce.
#![allow(dead_code, unused_imports)]

#[cfg(feature = "openpgp")]
pub use openpgp::PgpPublisher;
#[cfg(feature = "sigstore")]
pub use sigstore_keys::CosignPublisher;

#[cfg(feature = "openpgp")]
mod openpgp {
    use faxbot_policy::package::PackageDigest;
    use pgp::cert::prelude::*;
    use pgp::policy::StandardPolicy;
    use pgp::serialize::SerializeInto;
    use pgp::serialize::stream::{Armorer, Message, Signer};
    use sequoia_openpgp as pgp;
    use std::io::Write;

    /// An OpenPGP certificate with its secret keys, and its public half armoured.
    pub struct PgpPublisher {
        pub cert: Cert,
        pub public_armored: Vec<u8>,
    }

    impl PgpPublisher {
        pub fn new(validity: Option<std::time::Duration>) -> Self {
            let (cert, _revocation) =
                CertBuilder::general_purpose(Some("Acme Releases <release@acme.test>"))
                    .set_validity_period(validity)
                    .set_creation_time(
                        std::time::SystemTime::now() - std::time::Duration::from_secs(60),
                    )
                    .generate()
                    .expect("generate cert");
            let public_armored = cert.armored().to_vec().expect("armor");
            Self {
                cert,
                public_armored,
            }
        }

        pub fn fingerprint(&self) -> String {
            self.cert.fingerprint().to_hex()
        }

        /// An armoured detached signature over `payload`.
        pub fn sign_bytes(&self, payload: &[u8]) -> Vec<u8> {
            let p = StandardPolicy::new();
            let keypair = self
                .cert
                .keys()
                .unencrypted_secret()
                .with_policy(&p, None)
                .supported()
                .alive()
                .revoked(false)
                .for_signing()
                .next()
                .expect("signing key")
                .key()
                .clone()
                .into_keypair()
                .expect("keypair");
            let mut sink = Vec::new();
            {
                let message = Message::new(&mut sink);
                let message = Armorer::new(message)
                    .kind(pgp::armor::Kind::Signature)
                    .build()
                    .expect("armorer");
                let mut signer = Signer::new(message, keypair)
                    .expect("signer")
                    .detached()
                    .build()
                    .expect("build");
                signer.write_all(payload).expect("write");
                signer.finalize().expect("finalize");
            }
            sink
        }

        pub fn sign(&self, digest: &PackageDigest) -> Vec<u8> {
            self.sign_bytes(&digest.signing_payload())
        }

        /// A binary (unarmoured) detached signature, as `gpg --detach-sign` writes it.
        pub fn sign_binary(&self, digest: &PackageDigest) -> Vec<u8> {
            let p = StandardPolicy::new();
            let keypair = self
                .cert
                .keys()
                .unencrypted_secret()
                .with_policy(&p, None)
                .supported()
                .alive()
                .revoked(false)
                .for_signing()
                .next()
                .expect("signing key")
                .key()
                .clone()
                .into_keypair()
                .expect("keypair");
            let mut sink = Vec::new();
            {
                let message = Message::new(&mut sink);
                let mut signer = Signer::new(message, keypair)
                    .expect("signer")
                    .detached()
                    .build()
                    .expect("build");
                signer.write_all(&digest.signing_payload()).expect("write");
                signer.finalize().expect("finalize");
            }
            sink
        }
    }
}

#[cfg(feature = "sigstore")]
mod sigstore_keys {
    use faxbot_policy::package::PackageDigest;
    use sigstore::crypto::SigningScheme;

    /// A cosign-style ECDSA P-256 key.
    pub struct CosignPublisher {
        signer: sigstore::crypto::SigStoreSigner,
        pub public_pem: String,
    }

    impl CosignPublisher {
        pub fn new() -> Self {
            Self::with_scheme(SigningScheme::ECDSA_P256_SHA256_ASN1)
        }

        /// A key of another scheme (`ECDSA_P384_SHA384_ASN1`, `ED25519`, …).
        pub fn with_scheme(scheme: SigningScheme) -> Self {
            let signer = scheme.create_signer().expect("signer");
            let public_pem = signer
                .to_sigstore_keypair()
                .expect("keypair")
                .public_key_to_pem()
                .expect("pem");
            Self { signer, public_pem }
        }

        /// Raw signature bytes over the digest's payload.
        pub fn sign_raw(&self, digest: &PackageDigest) -> Vec<u8> {
            self.signer.sign(&digest.signing_payload()).expect("sign")
        }

        /// What `cosign sign-blob --key` prints: base64 of the signature.
        pub fn sign_blob(&self, digest: &PackageDigest) -> Vec<u8> {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .encode(self.sign_raw(digest))
                .into_bytes()
        }
    }
}
