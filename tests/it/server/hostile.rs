//! Hostile clients: huge length prefixes, truncated frames, garbage, deep nesting, a flood
//! of connections. Each gets an answer or a closed connection, and a well-behaved client on
//! another connection keeps being served throughout.

use std::time::Duration;

use crate::support::raw::{args, request, Conn};
use crate::support::server::OBJ;
use tars::application::Server;
use tars::codec::TarsEncode;

async fn start() -> Server {
    crate::support::server::start_on(
        "maxPackageLength=1048576",
        "tcp -h 127.0.0.1 -p 0 -t 10000",
        "maxconns=20",
    )
    .await
}

async fn assert_closed(c: &mut Conn) {
    let r = tokio::time::timeout(Duration::from_secs(5), c.recv_frame())
        .await
        .expect("the server must close, not hang");
    assert!(r.is_none(), "expected the connection to be closed");
}

async fn good_client_still_served(good: &mut Conn, id: i32) {
    let rsp = good
        .call(&request(
            id,
            OBJ,
            "testHello",
            args(|b| "still here".to_string().encode(1, b)),
        ))
        .await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (id, 0));
}

#[tokio::test]
async fn hostile_input_is_answered_or_closed() {
    let server = start().await;
    let addr = server.local_addr(OBJ).unwrap();
    let mut good = Conn::connect(addr).await;
    good_client_still_served(&mut good, 1).await;

    // A 2 GB length prefix: closed at once, nothing allocated for it.
    let mut c = Conn::connect(addr).await;
    c.send_raw(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3]).await.unwrap();
    assert_closed(&mut c).await;
    good_client_still_served(&mut good, 2).await;

    // A length below 4.
    let mut c = Conn::connect(addr).await;
    c.send_raw(&[0, 0, 0, 2]).await.unwrap();
    assert_closed(&mut c).await;

    // Over maxPackageLength (1 MiB here) but otherwise plausible.
    let mut c = Conn::connect(addr).await;
    c.send_raw(&(2u32 << 20).to_be_bytes()).await.unwrap();
    assert_closed(&mut c).await;

    // A truncated frame, then the client goes away: the server must not wait forever or leak.
    let mut c = Conn::connect(addr).await;
    c.send_raw(&[0, 0, 0, 100, 0x10, 0x01]).await.unwrap();
    drop(c);

    // Garbage that frames correctly but is no RequestPacket.
    let mut c = Conn::connect(addr).await;
    let mut garbage = vec![0, 0, 0, 20];
    garbage.extend((0..16u8).map(|i| i.wrapping_mul(37) | 0x0e));
    c.send_raw(&garbage).await.unwrap();
    assert_closed(&mut c).await;
    good_client_still_served(&mut good, 3).await;

    // A valid packet with a field nested 10 000 levels deep before the argument: skipping it
    // hits the depth cap, and the reply is a decode error (-1).
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x09, 0x00, 0x01]);
    }
    deep.push(0x0c);
    let mut c = Conn::connect(addr).await;
    let rsp = c.call(&request(7, OBJ, "testHello", deep.into())).await;
    assert_eq!((rsp.i_request_id, rsp.i_ret), (7, -1), "{}", rsp.s_result_desc);
    good_client_still_served(&mut good, 4).await;

    // A flood of connections beyond maxconns (20): the extra ones are closed, and once the
    // flood is gone new clients are served.
    let mut flood = Vec::new();
    for _ in 0..60 {
        if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
            flood.push(s);
        }
    }
    good_client_still_served(&mut good, 5).await;
    drop(flood);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut late = Conn::connect(addr).await;
    good_client_still_served(&mut late, 6).await;
    good_client_still_served(&mut good, 7).await;
    server.shutdown().await;
}
