//! Doubles of the TARS framework services a server talks to under tarsnode (tarsnode's
//! ServerF, tarsstat, tarsproperty, tarsnotify, tarsconfig, tarslog), built with tars-rs from
//! the framework IDLs, served together on one ephemeral port. Each records what it was sent,
//! with the time it arrived, for the tests to assert exact fields.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every framework IDL, both sides: the doubles serve the services' interfaces, and tests
/// call a server's admin object.
pub(crate) mod idl {
    ::tars::include_tars!("tars-rt/idl/Framework.tars", with_tars);
    pub(crate) use self::tars::*;
}

use idl::{
    Config, ConfigInfo, GetConfigListInfo, Log, LogInfo, Notify, NotifyInfo, NotifyKey, Notifylevel, PropertyF,
    ReportInfo, ServerF, ServerInfo, StatF, StatMicMsgBody, StatMicMsgHead, StatPropMsgBody, StatPropMsgHead,
    StatSampleMsg,
};
use tars::application::Server;
use tars::Application;
use tars::{Context, Status};

pub(crate) const NODE_OBJ: &str = "tars.tarsnode.ServerObj";
pub(crate) const STAT_OBJ: &str = "tars.tarsstat.StatObj";
pub(crate) const PROPERTY_OBJ: &str = "tars.tarsproperty.PropertyObj";
pub(crate) const NOTIFY_OBJ: &str = "tars.tarsnotify.NotifyObj";
pub(crate) const CONFIG_OBJ: &str = "tars.tarsconfig.ConfigObj";
pub(crate) const LOG_OBJ: &str = "tars.tarslog.LogObj";

/// Everything the doubles were sent.
#[derive(Default, Clone)]
pub(crate) struct Recorded {
    pub keep_alives: Vec<(Instant, ServerInfo)>,
    pub versions: Vec<(String, String, String)>,
    /// (bFromClient, the map).
    pub stats: Vec<(bool, BTreeMap<StatMicMsgHead, StatMicMsgBody>)>,
    pub properties: Vec<BTreeMap<StatPropMsgHead, StatPropMsgBody>>,
    pub notifies: Vec<ReportInfo>,
    pub config_asks: Vec<ConfigInfo>,
    /// (app, server, file, format, lines) for `logger`; `loggerbyInfo` is recorded with the
    /// info's fields.
    pub logs: Vec<(String, String, String, String, Vec<String>)>,
    pub logs_by_info: Vec<(LogInfo, Vec<String>)>,
    /// (function, the request's `node_name` context entry) of every call the doubles got.
    pub node_names: Vec<(String, Option<String>)>,
}

/// The framework, as far as a server sees it.
#[derive(Clone, Default)]
pub(crate) struct FrameworkDouble {
    pub rec: Arc<Mutex<Recorded>>,
    /// Config files tarsconfig serves: file name → content (server level), and with the
    /// `app_only` flag for app-level ones.
    pub configs: Arc<Mutex<HashMap<(String, bool), String>>>,
    /// Delay before answering a stat report (a slow tarsstat).
    pub stat_delay: Arc<Mutex<Duration>>,
}

impl FrameworkDouble {
    pub(crate) fn rec(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.rec.lock().unwrap()
    }

    pub(crate) fn serve_config(&self, file: &str, app_only: bool, content: &str) {
        self.configs
            .lock()
            .unwrap()
            .insert((file.to_string(), app_only), content.to_string());
    }

    /// Serves every double on one ephemeral port (TARS adapters on the same endpoint
    /// share one listener).
    pub(crate) async fn start(&self) -> Server {
        let mut app = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
            .servant(NODE_OBJ, self.clone())
            .servant(STAT_OBJ, StatDouble(self.clone()))
            .servant(PROPERTY_OBJ, PropertyDouble(self.clone()))
            .servant(NOTIFY_OBJ, NotifyDouble(self.clone()))
            .servant(CONFIG_OBJ, ConfigDouble(self.clone()))
            .servant(LOG_OBJ, LogDouble(self.clone()))
            .filter(RecordNodeName(self.clone()));
        for obj in [NODE_OBJ, STAT_OBJ, PROPERTY_OBJ, NOTIFY_OBJ, CONFIG_OBJ, LOG_OBJ] {
            app = app.endpoint(obj, "tcp -h 127.0.0.1 -p 0 -t 60000").unwrap();
        }
        app.start().await.unwrap()
    }
}

/// Records the `node_name` context entry of every request the doubles serve.
struct RecordNodeName(FrameworkDouble);

impl tars::filter::Filter<tars::server::ServerRequest, tars::server::ServerResponse> for RecordNodeName {
    async fn call(
        &self,
        req: tars::server::ServerRequest,
        next: tars::filter::Next<'_, tars::server::ServerRequest, tars::server::ServerResponse>,
    ) -> tars::server::ServerResponse {
        let seen = (
            req.packet.s_func_name.clone(),
            req.packet.context.get(tars::framework::NODE_NAME).cloned(),
        );
        self.0.rec().node_names.push(seen);
        next.run(req).await
    }
}

/// The config lines (`node=`, `stat=`, …) that point a server at doubles served on `port`.
pub(crate) fn obj(name: &str, port: u16) -> String {
    format!("{name}@tcp -h 127.0.0.1 -p {port} -t 60000")
}

#[tars::servant]
impl ServerF for FrameworkDouble {
    async fn keep_alive(&self, _ctx: &Context, server_info: ServerInfo) -> Result<i32, Status> {
        self.rec().keep_alives.push((Instant::now(), server_info));
        Ok(0)
    }

    async fn keep_activing(&self, _ctx: &Context, server_info: ServerInfo) -> Result<i32, Status> {
        self.rec().keep_alives.push((Instant::now(), server_info));
        Ok(0)
    }

    async fn report_version(
        &self,
        _ctx: &Context,
        app: String,
        server_name: String,
        version: String,
    ) -> Result<i32, Status> {
        self.rec().versions.push((app, server_name, version));
        Ok(0)
    }

    async fn get_latest_keep_alive_time(&self, _ctx: &Context) -> Result<u32, Status> {
        Ok(0)
    }
}

pub(crate) struct StatDouble(pub FrameworkDouble);

#[tars::servant]
impl StatF for StatDouble {
    async fn report_mic_msg(
        &self,
        _ctx: &Context,
        msg: BTreeMap<StatMicMsgHead, StatMicMsgBody>,
        b_from_client: bool,
    ) -> Result<i32, Status> {
        let delay = *self.0.stat_delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.0.rec().stats.push((b_from_client, msg));
        Ok(0)
    }

    async fn report_sample_msg(&self, _ctx: &Context, _msg: Vec<StatSampleMsg>) -> Result<i32, Status> {
        Ok(0)
    }
}

pub(crate) struct PropertyDouble(pub FrameworkDouble);

#[tars::servant]
impl PropertyF for PropertyDouble {
    async fn report_prop_msg(
        &self,
        _ctx: &Context,
        statmsg: BTreeMap<StatPropMsgHead, StatPropMsgBody>,
    ) -> Result<i32, Status> {
        self.0.rec().properties.push(statmsg);
        Ok(0)
    }
}

pub(crate) struct NotifyDouble(pub FrameworkDouble);

#[tars::servant]
impl Notify for NotifyDouble {
    async fn report_server(
        &self,
        _ctx: &Context,
        _s_server_name: String,
        _s_thread_id: String,
        _s_message: String,
    ) -> Result<(), Status> {
        Ok(())
    }

    async fn notify_server(
        &self,
        _ctx: &Context,
        _s_server_name: String,
        _level: Notifylevel,
        _s_message: String,
    ) -> Result<(), Status> {
        Ok(())
    }

    async fn get_notify_info(&self, _ctx: &Context, _st_key: NotifyKey) -> Result<(i32, NotifyInfo), Status> {
        Ok((0, NotifyInfo::default()))
    }

    async fn report_notify_info(&self, _ctx: &Context, info: ReportInfo) -> Result<(), Status> {
        self.0.rec().notifies.push(info);
        Ok(())
    }
}

pub(crate) struct ConfigDouble(pub FrameworkDouble);

impl ConfigDouble {
    fn lookup(&self, file: &str, app_only: bool) -> (i32, String) {
        match self.0.configs.lock().unwrap().get(&(file.to_string(), app_only)) {
            Some(c) => (0, c.clone()),
            None => (-1, format!("no config file {file}")),
        }
    }
}

#[tars::servant]
impl Config for ConfigDouble {
    async fn list_config(&self, _ctx: &Context, _app: String, _server: String) -> Result<(i32, Vec<String>), Status> {
        let files = self.0.configs.lock().unwrap().keys().map(|k| k.0.clone()).collect();
        Ok((0, files))
    }

    async fn load_config(
        &self,
        _ctx: &Context,
        app: String,
        server: String,
        filename: String,
    ) -> Result<(i32, String), Status> {
        self.0.rec().config_asks.push(ConfigInfo {
            appname: app,
            servername: server.clone(),
            filename: filename.clone(),
            b_app_only: server.is_empty(),
            ..ConfigInfo::default()
        });
        Ok(self.lookup(&filename, server.is_empty()))
    }

    async fn load_config_by_host(
        &self,
        _ctx: &Context,
        _app_server_name: String,
        filename: String,
        _host: String,
    ) -> Result<(i32, String), Status> {
        Ok(self.lookup(&filename, false))
    }

    async fn check_config(
        &self,
        _ctx: &Context,
        _app_server_name: String,
        _filename: String,
        _host: String,
    ) -> Result<(i32, String), Status> {
        Ok((0, String::new()))
    }

    async fn list_config_by_info(
        &self,
        _ctx: &Context,
        _config_info: ConfigInfo,
    ) -> Result<(i32, Vec<String>), Status> {
        Ok((0, Vec::new()))
    }

    async fn load_config_by_info(&self, _ctx: &Context, config_info: ConfigInfo) -> Result<(i32, String), Status> {
        let r = self.lookup(&config_info.filename, config_info.b_app_only);
        self.0.rec().config_asks.push(config_info);
        Ok(r)
    }

    async fn check_config_by_info(&self, _ctx: &Context, _config_info: ConfigInfo) -> Result<(i32, String), Status> {
        Ok((0, String::new()))
    }

    async fn list_all_config_by_info(
        &self,
        _ctx: &Context,
        _config_info: GetConfigListInfo,
    ) -> Result<(i32, Vec<String>), Status> {
        Ok((0, Vec::new()))
    }
}

pub(crate) struct LogDouble(pub FrameworkDouble);

#[tars::servant]
impl Log for LogDouble {
    async fn logger(
        &self,
        _ctx: &Context,
        app: String,
        server: String,
        file: String,
        format: String,
        buffer: Vec<String>,
    ) -> Result<(), Status> {
        self.0.rec().logs.push((app, server, file, format, buffer));
        Ok(())
    }

    async fn loggerby_info(&self, _ctx: &Context, info: LogInfo, buffer: Vec<String>) -> Result<(), Status> {
        self.0.rec().logs_by_info.push((info, buffer));
        Ok(())
    }
}
