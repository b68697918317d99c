//! A UDP adapter: each datagram is one framed request, each reply one datagram. At most
//! `maxinflight` datagrams are served at once; past that each gets the protocol's overload
//! reply (UDP has no backpressure, and a silent drop looks like a timeout to the caller).

use std::sync::Arc;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::transport::udp;

use super::in_flight::InFlight;
use super::protocol::ServerProtocol;
use super::push::PushSender;

pub(crate) async fn serve(
    socket: UdpSocket,
    protocol: Arc<dyn ServerProtocol>,
    max_in_flight: usize,
    mut shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
) {
    let socket = Arc::new(socket);
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let mut buf = udp::receive_buffer();
    loop {
        let (n, peer) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e, "udp receive failed");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let received = Instant::now();
        let request: Bytes = match udp::frame_of(&buf[..n], |b| protocol.split_frame(b)) {
            Ok(Some(r)) => r,
            Ok(None) => {
                tracing::warn!(%peer, len = n, "truncated udp datagram dropped");
                continue;
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "bad udp datagram dropped");
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "udp request refused: maxinflight requests are being served");
            if let Some(reply) = protocol.overload_reply(&request) {
                let _ = socket.send_to(&reply, peer).await;
            }
            continue;
        };
        let (socket, protocol, guard) = (socket.clone(), protocol.clone(), in_flight.enter());
        // Pushes to a UDP client go to its address as datagrams, while the adapter runs.
        let client = PushSender::datagram(peer, &socket);
        tokio::spawn(async move {
            if let Some(reply) = protocol.handle(&client, request, received).await.into_frame() {
                if let Err(e) = socket.send_to(&reply, peer).await {
                    tracing::debug!(%peer, error = %e, "udp reply failed");
                }
            }
            drop((slot, guard));
        });
    }
}
