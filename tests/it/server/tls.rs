//! `ssl` endpoints: the Rust client and server over TLS, with server authentication, with
//! client certificates (`verifyclient=Y`), and the refusals when a side lacks what it needs.

use std::path::{Path, PathBuf};

use crate::support::echo::hello::test_app::HelloProxy;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tars::application::Server;
use tars::client::Communicator;
use tars::server::ServerError;
use tars::transport::tls::TlsConfig;
use tars::Application;

const OBJ: &str = "TestApp.HelloServer.HelloObj";

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
pub(crate) struct Pki {
    dir: PathBuf,
}

impl Pki {
    pub(crate) fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("tars-rs-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        for (who, names) in [
            ("server", vec!["127.0.0.1".to_string(), "localhost".to_string()]),
            ("client", vec!["client".to_string()]),
        ] {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names).unwrap().signed_by(&key, &ca).unwrap();
            std::fs::write(dir.join(format!("{who}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.join(format!("{who}.key")), key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }

    pub(crate) fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start(pki: &Pki, verify_client: bool) -> Result<Server, ServerError> {
    let config = format!(
        "<tars><application><server>
app=TestApp
server=HelloServer
<HelloAdapter>
endpoint=ssl -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
cert={}
key={}
ca={}
verifyclient={}
</HelloAdapter>
</server></application></tars>",
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
        if verify_client { "Y" } else { "N" }
    );
    Application::new(config.parse().unwrap())
        .servant(OBJ, crate::support::echo::HelloImp)
        .start()
        .await
}

fn client(pki: &Pki, with_cert: bool) -> Communicator {
    let mut tls = TlsConfig::default().ca(pki.path("ca.pem"));
    if with_cert {
        tls = tls.cert(pki.path("client.pem")).key(pki.path("client.key"));
    }
    Communicator::builder().tls(tls).build()
}

fn target(server: &Server) -> String {
    format!("{OBJ}@{}", server.endpoint(OBJ).unwrap())
}

#[tokio::test]
async fn calls_over_tls() {
    let pki = Pki::new("server-auth");
    let server = start(&pki, false).await.unwrap();
    assert!(target(&server).contains("@ssl -h 127.0.0.1"));
    let p: HelloProxy = client(&pki, false).string_to_proxy(&target(&server)).unwrap();
    assert_eq!(p.test_hello("over tls").await.unwrap(), (0, "over tls".to_string()));
    // A plain TCP client gets no TARS reply from a TLS port.
    let mut raw = crate::support::raw::Conn::connect(server.local_addr(OBJ).unwrap()).await;
    let _ = raw
        .send_raw(&crate::support::raw::frame_of(&crate::support::raw::request(
            1,
            OBJ,
            "test",
            Default::default(),
        )))
        .await;
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), raw.recv_frame())
        .await
        .unwrap();
    assert!(answer.is_none_or(|f| tars::codec::from_bytes::<tars::protocol::ResponsePacket>(&f).is_err()));
    // A client without a CA cannot call an ssl endpoint.
    let no_ca: HelloProxy = Communicator::new().string_to_proxy(&target(&server)).unwrap();
    let e = no_ca.test().await.unwrap_err();
    assert_eq!(e.code(), -8);
    assert!(e.message().contains("ca="), "{e}");
    server.shutdown().await;
}

#[tokio::test]
async fn client_certificates_when_the_server_verifies_clients() {
    let pki = Pki::new("mutual");
    let server = start(&pki, true).await.unwrap();
    let with_cert: HelloProxy = client(&pki, true).string_to_proxy(&target(&server)).unwrap();
    assert_eq!(with_cert.test().await.unwrap(), 0);
    let without: HelloProxy = client(&pki, false).string_to_proxy(&target(&server)).unwrap();
    assert!(
        without.test().await.is_err(),
        "a client without a certificate must be refused"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_ssl_adapter_without_its_keys_does_not_start() {
    let pki = Pki::new("bad");
    std::fs::write(pki.dir.join("server.pem"), "not a certificate").unwrap();
    let err = start(&pki, false).await.err().unwrap();
    assert!(
        err.to_string().contains("HelloAdapter") && err.to_string().contains("server.pem"),
        "{err}"
    );
    assert!(Path::new(&pki.path("ca.pem")).exists());
}
