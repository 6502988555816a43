//! The pinning verifier: a certificate is accepted when its fingerprint is
//! one of a list, whichever side presents it. The handshake signatures are
//! still checked, with the provider's algorithms, so the peer must hold the
//! certificate's private key.

use crate::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::sync::Arc;

/// Which fingerprints a verifier accepts.
enum Allowed {
    /// These.
    List(Vec<Fingerprint>),
    /// Those the function accepts, asked on every handshake (a server whose
    /// set of clients changes while it runs).
    Admit(Arc<dyn Fn(&Fingerprint) -> bool + Send + Sync>),
}

/// Accepts exactly the certificates whose fingerprints are listed: as a
/// client, the one server it dials; as a server, the clients it admits.
pub struct Pinned {
    allowed: Allowed,
    algs: WebPkiSupportedAlgorithms,
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.allowed {
            Allowed::List(l) => f.debug_tuple("Pinned").field(l).finish(),
            Allowed::Admit(_) => f.write_str("Pinned(admit)"),
        }
    }
}

impl Pinned {
    /// A verifier that accepts the certificates with these fingerprints.
    pub fn new(allowed: Vec<Fingerprint>) -> Pinned {
        Pinned {
            allowed: Allowed::List(allowed),
            algs: crate::provider().signature_verification_algorithms,
        }
    }

    /// A verifier that accepts the certificates whose fingerprints `admit`
    /// accepts at the time of the handshake.
    pub fn admitting(admit: impl Fn(&Fingerprint) -> bool + Send + Sync + 'static) -> Pinned {
        Pinned {
            allowed: Allowed::Admit(Arc::new(admit)),
            algs: crate::provider().signature_verification_algorithms,
        }
    }

    fn check(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let fp = Fingerprint::of(cert);
        let ok = match &self.allowed {
            Allowed::List(l) => l.contains(&fp),
            Allowed::Admit(f) => f(&fp),
        };
        if ok {
            return Ok(());
        }
        let pinned = match &self.allowed {
            Allowed::List(l) if l.len() == 1 => format!("the pinned {}", l[0]),
            _ => "a pinned one".to_string(),
        };
        Err(rustls::Error::General(format!(
            "certificate fingerprint {fp} is not {pinned}"
        )))
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|_| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|_| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}
