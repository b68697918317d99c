//! The admin servant, `AdminObj` on the `<server> local=` endpoint (adapter `AdminAdapter`):
//! what tarsnode and the web console call to stop a server (`shutdown`) and to run commands
//! (`notify`): `tars.viewversion`, `tars.setloglevel <LEVEL>`, `tars.loadconfig <file>`,
//! `tars.viewstatus`, `tars.connection`, `tars.help`, and the commands the application
//! registers ([`Application::admin_command`](crate::application::Application::admin_command)). Replies
//! read as TarsGo's where TarsGo has the command, as TarsCpp's otherwise; every command is
//! also reported to tarsnotify (`AdminServant::notify:<command>`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use crate::server::BoundAdapter;
use crate::server::Context;
use crate::Status;

use super::platform::Platform;
use super::reporter::TARS_VERSION;

mod generated {
    tars_macros::include_tars!("idl/AdminF.tars", with_tars, server_only);
}

use generated::tars::AdminF;

/// The servant name of the admin object.
pub const ADMIN_OBJ: &str = "AdminObj";
/// The adapter name the admin object is served and kept alive under.
pub const ADMIN_ADAPTER: &str = "AdminAdapter";

/// A command an operator can run: given the arguments after the command's name, it returns
/// the reply, or an error that is replied as `<command> failed: <error>`.
pub type AdminCommand = Arc<dyn Fn(&str) -> Result<String, CommandError> + Send + Sync>;

/// Why an admin command failed, as the operator reads it: any error converts (`?` works in a
/// command), and a message is one too (`Err("no such cache".into())`).
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

pub(crate) struct AdminServant {
    pub(crate) platform: Platform,
    pub(crate) commands: Arc<BTreeMap<String, AdminCommand>>,
    pub(crate) adapters: Arc<OnceLock<Vec<BoundAdapter>>>,
}

const BUILT_IN: [&str; 8] = [
    "tars.connection",
    "tars.dumpstack",
    "tars.gracerestart",
    "tars.help",
    "tars.loadconfig",
    "tars.setloglevel",
    "tars.viewstatus",
    "tars.viewversion",
];

#[tars_macros::servant]
impl AdminF for AdminServant {
    async fn shutdown(&self, ctx: &Context) -> Result<(), Status> {
        tracing::info!(peer = %ctx.peer(), "shutdown asked on the admin port");
        self.platform.request_stop();
        Ok(())
    }

    async fn notify(&self, _ctx: &Context, command: String) -> Result<String, Status> {
        self.platform
            .notifier()
            .report(format!("AdminServant::notify:{command}"));
        Ok(self.run(command.trim()).await)
    }

    async fn get_pid(&self, _ctx: &Context) -> Result<i64, Status> {
        Ok(i64::from(std::process::id()))
    }
}

impl AdminServant {
    async fn run(&self, command: &str) -> String {
        let (name, args) = command.split_once(' ').unwrap_or((command, ""));
        let args = args.trim();
        if let Some(handler) = self.commands.get(name) {
            return match handler(args) {
                Ok(reply) => reply,
                Err(e) => format!("{name} failed: {e}"),
            };
        }
        match name {
            "tars.viewversion" => TARS_VERSION.to_string(),
            "tars.setloglevel" => self.set_log_level(command, args),
            "tars.loadconfig" => match self.platform.load_config(args).await {
                Ok(_) => format!("Getconfig Success!: {args}"),
                Err(e) => format!("Getconfig Error!: {args}: {e}"),
            },
            "tars.viewstatus" => self.view_status(),
            // TarsGo's answer, then the restart (a new process takes the sockets over).
            "tars.gracerestart" => {
                self.platform.request_restart();
                "restart gracefully!".to_string()
            }
            "tars.connection" => self.connections(),
            "tars.help" => {
                let mut names: Vec<&str> = BUILT_IN.to_vec();
                names.extend(self.commands.keys().map(String::as_str));
                names.sort_unstable();
                names.dedup();
                names.iter().map(|n| format!("{n}\r\n")).collect()
            }
            "tars.dumpstack" => dump_runtime(),
            _ => match instead(name) {
                Some(advice) => format!("{command} not support now! {advice}"),
                None => format!("{command} not support now!"),
            },
        }
    }

    /// TarsGo's replies: `<command> succ`, or why not.
    fn set_log_level(&self, command: &str, args: &str) -> String {
        if args.is_empty() {
            return format!("{command} failed: missing loglevel!");
        }
        let level = match args.parse::<super::log::LogLevel>() {
            Ok(l) => l,
            Err(_) => return format!("tars.setloglevel failed: unknown log level [{args}]!"),
        };
        match self.platform.set_log_level(level) {
            Ok(()) => format!("{command} succ"),
            Err(e) => format!("tars.setloglevel failed: {e}"),
        }
    }

    /// TarsCpp's layout: the client settings, the server settings, then each adapter.
    fn view_status(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, k: &str, v: &dyn std::fmt::Display| {
            let _ = writeln!(out, "{k:<29}{v}");
        };
        let long = "=".repeat(80);
        let short = "-".repeat(80);
        let config = self.platform.config();
        let c = &config.client;
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let _ = writeln!(out, "{long}");
        let _ = writeln!(out, "[proxy config]:");
        line(&mut out, "locator", &opt(&c.locator));
        line(&mut out, "async-invoke-timeout", &c.async_invoke_timeout.as_millis());
        line(
            &mut out,
            "refresh-endpoint-interval",
            &c.refresh_endpoint_interval.as_millis(),
        );
        line(&mut out, "stat", &opt(&c.stat));
        line(&mut out, "property", &opt(&c.property));
        line(&mut out, "report-interval", &c.report_interval.as_millis());
        line(&mut out, "modulename", &opt(&c.module_name));
        line(&mut out, "enableset", &if config.enable_set { "Y" } else { "N" });
        let set = config.set().map(ToString::to_string).unwrap_or_default();
        line(&mut out, "setdivision", &set);
        let _ = writeln!(out, "{short}");
        if let Some(s) = &config.server {
            let _ = writeln!(out, "[server config]:");
            line(&mut out, "Application", &s.app);
            line(&mut out, "ServerName", &s.server);
            line(&mut out, "BasePath", &s.base_path);
            line(&mut out, "DataPath", &s.data_path);
            line(&mut out, "LocalIp", &self.platform.local_ip());
            line(
                &mut out,
                "Local",
                &s.local.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            );
            line(&mut out, "LogPath", &s.log_path);
            line(&mut out, "LogSize", &s.log_size);
            line(&mut out, "LogNum", &s.log_num);
            let level = self.platform.log_level().unwrap_or(s.log_level);
            line(&mut out, "LogLevel", &level);
            line(&mut out, "Log", &opt(&s.log));
            line(&mut out, "Node", &opt(&s.node));
            line(&mut out, "Config", &opt(&s.config));
            line(&mut out, "Notify", &opt(&s.notify));
            line(&mut out, "TarsVersion", &TARS_VERSION);
            let _ = writeln!(out, "{short}");
        }
        for a in self.adapters.get().map(Vec::as_slice).unwrap_or_default() {
            let cfg = &a.config;
            line(&mut out, "name", &cfg.name);
            line(&mut out, "servant", &cfg.servant);
            line(&mut out, "endpoint", &a.endpoint);
            line(&mut out, "maxconns", &cfg.max_conns);
            line(&mut out, "queuecap", &cfg.queue_cap);
            line(
                &mut out,
                "queuetimeout",
                &format_args!("{}ms", cfg.queue_timeout.as_millis()),
            );
            line(&mut out, "order", &cfg.order);
            line(&mut out, "allow", &cfg.allow.join(","));
            line(&mut out, "deny", &cfg.deny.join(","));
            line(&mut out, "connections", &a.connections().len());
            line(&mut out, "protocol", &cfg.protocol);
            line(&mut out, "handlethread", &cfg.threads);
            let _ = writeln!(out, "{short}");
        }
        let _ = writeln!(out, "{long}");
        out
    }

    /// TarsCpp's layout: per adapter, its connections (id, peer, since when).
    fn connections(&self) -> String {
        let mut out = String::new();
        let long = "-".repeat(80);
        for a in self.adapters.get().map(Vec::as_slice).unwrap_or_default() {
            if a.connections.is_none() {
                continue;
            }
            let list = a.connections();
            let _ = writeln!(out, "{long}");
            let _ = writeln!(out, "[adater:{}] [connections:{}]", a.config.name, list.len());
            let _ = writeln!(
                out,
                "{:<15}{:<25}{:<25}{:<10}",
                "conn-uid", "ip:port", "last-time", "timeout"
            );
            for (id, peer, since) in list {
                let since: chrono::DateTime<chrono::Local> = since.into();
                let _ = writeln!(
                    out,
                    "{:<15}{:<25}{:<25}{:<10}",
                    id,
                    peer,
                    since.format("%Y-%m-%d %H:%M:%S").to_string(),
                    a.endpoint.timeout_ms / 1000
                );
            }
            let _ = writeln!(out, "{long}");
        }
        out
    }
}

/// `tars.dumpstack`: what a Rust server can tell of its threads and tasks (TarsGo writes its
/// goroutines' stacks): the runtime's workers and tasks, written to the log and answered.
fn dump_runtime() -> String {
    let text = match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            let m = rt.metrics();
            format!(
                "dumpstack: pid {}, {} worker threads, {} tasks alive, {} tasks in the global queue",
                std::process::id(),
                m.num_workers(),
                m.num_alive_tasks(),
                m.global_queue_depth()
            )
        }
        Err(_) => format!("dumpstack: pid {}, no runtime", std::process::id()),
    };
    tracing::warn!(target: "tars::admin", "{text}");
    text
}

/// What to use instead of the admin commands of TarsGo and TarsCpp that have no Rust
/// counterpart.
fn instead(command: &str) -> Option<&'static str> {
    Some(match command {
        "tars.pprof" => "Profile the process with `perf record -g -p <pid>` (or tokio-console for tasks).",
        "tars.closecore" => "Core dumps follow the OS limit (`ulimit -c`) tarsnode starts the server with.",
        "tars.setdyeing" => "Dye calls at their source: CallOptions::dye, or the X-Tars-Dye header of an HTTP servant.",
        "tars.enabledaylog" => "Day logs are written by named loggers (Application::logger).",
        "tars.reloadlocator" => "The registry is asked again every refresh-endpoint-interval.",
        "tars.viewbuffer" | "tars.resource" => "Use tars.viewstatus and tars.connection.",
        _ => return None,
    })
}
