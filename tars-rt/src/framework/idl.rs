//! The interfaces of the framework services a TARS server calls: tarsregistry's `QueryF`,
//! tarsstat's `StatF`, tarsproperty's `PropertyF`, tarsnotify's `Notify`, tarslog's `Log`,
//! tarsconfig's `Config` and tarsnode's `ServerF`, with their types. Compiled by
//! `include_tars!` from `tars-rt/idl/Services.tars` as proxies (`client_only`): the wing calls
//! these services; it serves only the admin object ([`super::admin`]).

mod generated {
    tars_macros::include_tars!("idl/Services.tars", with_tars, client_only);
}

pub use generated::tars::*;
