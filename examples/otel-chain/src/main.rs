//! A three-hop trace exported over OTLP: a client calls `front`, which calls `middle`, which
//! calls `back`; every hop is a tars-rs service in this process, every call a client span
//! and a server span of one trace, exported to the collector given on the command line, with
//! the call durations (`tars.server.duration`, `tars.client.duration`) as OTLP metrics.
//!
//! ```text
//! cargo run --manifest-path examples/otel-chain/Cargo.toml -- http://127.0.0.1:4318
//! ```
//!
//! (An OpenTelemetry collector, Jaeger or Zipkin with OTLP/HTTP on that address receives
//! the trace; nothing listening there only means nothing is exported.)

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use tars::client::{CallOptions, Communicator};
use tars::Application;
use tars::{Context, Status};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

mod hello {
    tars::include_tars!("../../tests/idl/hello.tars");
}

use hello::test_app::{Hello, HelloProxy};

/// A hop that calls the next one, if any.
struct Hop {
    name: &'static str,
    next: Option<HelloProxy>,
}

#[tars::servant]
impl Hello for Hop {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        tracing::info!(hop = self.name, dyed = ctx.is_dyed(), "serving");
        let rsp = match &self.next {
            Some(next) => next.test_hello(&s_req).await?.1,
            None => s_req,
        };
        Ok((0, format!("{} <- {rsp}", self.name)))
    }
}

async fn hop(
    name: &'static str,
    next: Option<HelloProxy>,
    comm: &Communicator,
) -> Result<HelloProxy, Box<dyn std::error::Error>> {
    let obj = format!("TestApp.{name}.HelloObj");
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse()?)
        .servant(&obj, Hop { name, next })
        .endpoint(&obj, "tcp -h 127.0.0.1 -p 0 -t 60000")?
        .start()
        .await?;
    let proxy = comm.string_to_proxy(&format!("{obj}@{}", server.endpoint(&obj).expect("bound")))?;
    // The servers live as long as the process.
    std::mem::forget(server);
    Ok(proxy)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    const USAGE: &str = "usage: otel_chain <collector URL, e.g. http://127.0.0.1:4318>";
    let collector = std::env::args().nth(1).ok_or(USAGE)?;
    if collector == "-h" || collector == "--help" {
        println!("{USAGE}");
        return Ok(());
    }
    if collector.starts_with('-') {
        return Err(format!("unknown option '{collector}'\n{USAGE}").into());
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", collector.trim_end_matches('/')))
        .build()?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("tars-rs-otel-chain")
                .build(),
        )
        .build();
    // The durations tars-rs records (tars.server.duration, tars.client.duration) go to the
    // same collector, through the global meter provider.
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/metrics", collector.trim_end_matches('/')))
        .build()?;
    let meters = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_periodic_exporter(metrics)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("tars-rs-otel-chain")
                .build(),
        )
        .build();
    opentelemetry::global::set_meter_provider(meters.clone());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tars-rs")))
        .with(tracing_subscriber::fmt::layer().with_filter(tracing_subscriber::EnvFilter::new("info")));
    tracing::subscriber::set_global_default(subscriber)?;

    let comm = Communicator::new();
    let back = hop("back", None, &comm).await?;
    let middle = hop("middle", Some(back), &comm).await?;
    let front = hop("front", Some(middle), &comm).await?;
    let reply = front
        .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(3)).dye("demo"), "hello")
        .await?;
    println!("{}", reply.value.1);
    match provider.force_flush() {
        Ok(()) => println!("three-hop trace exported to {collector}"),
        Err(e) => eprintln!("the trace could not be exported to {collector}: {e}"),
    }
    match meters.force_flush() {
        Ok(()) => println!("call durations exported to {collector}"),
        Err(e) => eprintln!("the durations could not be exported to {collector}: {e}"),
    }
    let _ = provider.shutdown();
    let _ = meters.shutdown();
    Ok(())
}
