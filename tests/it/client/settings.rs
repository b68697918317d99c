//! `<client>` settings that shape the calls: `keep-alive-interval` (one-way `tars_ping` on
//! idle connections, as TarsGo sends) and `objqueuemax` (calls in flight through a proxy).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::server::{hello::test_app::HelloProxy, SleepyHello, OBJ};
use tars::client::{CallErrorKind, Communicator};
use tars::config::ClientConfig;
use tars::filter::Filter;
use tars::server::{ServerNext, ServerRequest, ServerResponse};
use tars::status::Code;
use tars::Application;

/// Records (servant, function, one-way) of every request the server sees.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String, bool)>>>);

impl Filter<ServerRequest, ServerResponse> for Seen {
    async fn call(&self, req: ServerRequest, next: ServerNext<'_>) -> ServerResponse {
        let p = &req.packet;
        let one_way = p.c_packet_type == tars::protocol::TARSONEWAY;
        self.0
            .lock()
            .unwrap()
            .push((p.s_servant_name.clone(), p.s_func_name.clone(), one_way));
        next.run(req).await
    }
}

#[tokio::test]
async fn idle_connections_send_one_way_tars_pings() {
    let seen = Seen::default();
    let config = crate::support::server::config("", "tcp -h 127.0.0.1 -p 0 -t 60000", "");
    let server = Application::new(config.parse().unwrap())
        .servant(OBJ, SleepyHello)
        .filter(seen.clone())
        .start()
        .await
        .unwrap();
    let mut settings = ClientConfig::default();
    settings.keep_alive_interval = Duration::from_millis(60);
    settings.check_status_interval = Duration::from_millis(10);
    let comm = Communicator::builder().config(settings).build();
    let proxy: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoints(OBJ)))
        .unwrap();
    proxy.test_hello("hi").await.unwrap();
    let pings = || {
        let seen = seen.0.lock().unwrap();
        seen.iter()
            .filter(|(_, f, _)| f == "tars_ping")
            .cloned()
            .collect::<Vec<_>>()
    };
    crate::support::wait_for("two keep-alive pings", Duration::from_secs(5), || pings().len() >= 2).await;
    for (servant, _, one_way) in pings() {
        assert_eq!((servant.as_str(), one_way), (OBJ, true));
    }
    // The connection was kept: no second one for the pings.
    assert_eq!(seen.0.lock().unwrap()[0].1, "testHello");
    server.shutdown().await;
}

#[tokio::test]
async fn a_proxy_refuses_calls_past_objqueuemax_without_sending_them() {
    let server = crate::support::server::start("", "").await;
    let mut settings = ClientConfig::default();
    settings.obj_queue_max = 2;
    let comm = Communicator::builder().config(settings).build();
    let proxy: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoints(OBJ)))
        .unwrap();
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let p = proxy.clone();
            tokio::spawn(async move { p.test_hello("sleep 300").await })
        })
        .collect();
    let endpoint = server.endpoint(OBJ).unwrap().clone();
    crate::support::wait_for("two calls in flight", Duration::from_secs(5), || {
        comm.in_flight(&endpoint) == 2
    })
    .await;
    let refused = proxy.test_hello("third").await.unwrap_err();
    assert!(
        matches!(refused.kind, CallErrorKind::QueueFull { limit: 2 }),
        "{refused}"
    );
    assert_eq!(refused.code(), Code::SendRequestError);
    for call in busy {
        call.await.unwrap().unwrap();
    }
    assert_eq!(proxy.test_hello("again").await.unwrap().1, "again");
    server.shutdown().await;
}

/// Kubernetes endpoints are host names, and pod IPs change: a server binds a host-name
/// endpoint, a client dials one, and dials again (resolving again) after the server went
/// away and came back.
#[tokio::test]
async fn host_name_endpoints_bind_and_resolve_again_on_reconnect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("tcp -h localhost -p {port} -t 60000");
    let config = crate::support::server::config("", &endpoint, "");
    let start = || async {
        Application::new(config.parse().unwrap())
            .servant(OBJ, SleepyHello)
            .start()
            .await
            .unwrap()
    };
    let server = start().await;
    assert_eq!(server.endpoint(OBJ).unwrap().host, "localhost");
    let proxy: HelloProxy = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@{endpoint}"))
        .unwrap();
    assert_eq!(proxy.test_hello("by name").await.unwrap().1, "by name");
    server.shutdown().await;
    let server = start().await;
    let mut answered = false;
    for _ in 0..50 {
        if proxy.test_hello("again").await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the proxy reconnects to the host name");
    server.shutdown().await;
}
