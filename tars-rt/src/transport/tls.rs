//! TLS for `ssl` endpoints (rustls with the ring provider), configured by the TARS config keys
//! `ca`, `cert`, `key` and `verifyclient` (PEM files): a server needs `cert` and `key`, and
//! with `verifyclient=Y` also the `ca` its clients' certificates must chain to; a client needs
//! the `ca` that signed its servers' certificates, and `cert`/`key` when servers verify clients.

use std::sync::Arc;

use tokio_rustls::rustls::{
    self,
    crypto::ring::default_provider,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, ServerName},
    server::WebPkiClientVerifier,
    RootCertStore,
};

/// TLS settings of a server, adapter or client: the config keys `ca`, `cert`, `key` and
/// `verifyclient`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConfig {
    /// `ca`: CA certificate file.
    pub ca: Option<String>,
    /// `cert`: certificate file.
    pub cert: Option<String>,
    /// `key`: private key file.
    pub key: Option<String>,
    /// `verifyclient`.
    pub verify_client: bool,
}

impl TlsConfig {
    /// The CA certificate file (`ca`): a client's servers, a verifying server's clients chain
    /// to it.
    pub fn ca(mut self, path: impl Into<String>) -> Self {
        self.ca = Some(path.into());
        self
    }

    /// The certificate file (`cert`).
    pub fn cert(mut self, path: impl Into<String>) -> Self {
        self.cert = Some(path.into());
        self
    }

    /// The private key file (`key`).
    pub fn key(mut self, path: impl Into<String>) -> Self {
        self.key = Some(path.into());
        self
    }

    /// Whether a server verifies its clients' certificates (`verifyclient`).
    pub fn verify_client(mut self, verify: bool) -> Self {
        self.verify_client = verify;
        self
    }
}

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A setting is missing.
    #[error("TLS needs `{key}=` (a PEM file) {purpose}")]
    Missing {
        /// The config key.
        key: &'static str,
        /// What it is for.
        purpose: &'static str,
    },
    /// A PEM file could not be read or holds nothing usable.
    #[error("TLS {what} file {path}: {reason}")]
    File {
        /// certificate, key or CA.
        what: &'static str,
        /// The path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client certificate verifier could not be built.
    #[error("TLS client verification: {0}")]
    Verifier(String),
    /// The endpoint host is neither a DNS name nor an IP address.
    #[error("'{0}' is not a host name TLS can verify")]
    ServerName(String),
}

fn certs(path: &str, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_err = |reason: String| TlsError::File {
        what,
        path: path.to_string(),
        reason,
    };
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err("no certificate in it".into()));
    }
    Ok(certs)
}

fn key(path: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::File {
        what: "key",
        path: path.to_string(),
        reason: e.to_string(),
    })
}

fn roots(path: &str) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for cert in certs(path, "CA")? {
        store.add(cert).map_err(|e| TlsError::File {
            what: "CA",
            path: path.to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(store)
}

/// The rustls server configuration for an `ssl` adapter.
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(default_provider());
    let cert = tls.cert.as_deref().ok_or(TlsError::Missing {
        key: "cert",
        purpose: "for an ssl adapter",
    })?;
    let key_path = tls.key.as_deref().ok_or(TlsError::Missing {
        key: "key",
        purpose: "for an ssl adapter",
    })?;
    let builder =
        rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = if tls.verify_client {
        let ca = tls.ca.as_deref().ok_or(TlsError::Missing {
            key: "ca",
            purpose: "to verify clients (verifyclient=Y)",
        })?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider)
            .build()
            .map_err(|e| TlsError::Verifier(e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Ok(Arc::new(
        builder.with_single_cert(certs(cert, "certificate")?, key(key_path)?)?,
    ))
}

/// The rustls client configuration for `ssl` endpoints.
pub fn client_config(tls: &TlsConfig) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let ca = tls.ca.as_deref().ok_or(TlsError::Missing {
        key: "ca",
        purpose: "in <client> to verify ssl servers",
    })?;
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(ca)?);
    let config = match (tls.cert.as_deref(), tls.key.as_deref()) {
        (Some(cert), Some(k)) => builder.with_client_auth_cert(certs(cert, "certificate")?, key(k)?)?,
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name a client checks the server's certificate against: the endpoint's host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_string()).map_err(|_| TlsError::ServerName(host.to_string()))
}
