//! Config files from tarsconfig (`<server> config=`): a server pulls named files into its
//! `basepath` at start and when an operator runs `tars.loadconfig <file>`, as TarsGo's
//! `rconf.GetConfig` does (`ConfigF.loadConfigByInfo`). A file is asked for at the app level
//! (shared by the app's servers), the server level, or the host level (this host's copy);
//! tarsconfig merges the levels. A changed file keeps its last versions as `<file>.1.bak` …
//! `<file>.5.bak`, as TarsCpp does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::{CallError, CallOptions};

use super::idl::{ConfigInfo, ConfigProxy};

/// How many earlier versions of a file are kept.
pub const BACKUPS: usize = 5;

/// How long tarsconfig has to answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// Which copy of a file to ask tarsconfig for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfigLevel {
    /// The app's, shared by all its servers (`bAppOnly`).
    App,
    /// This server's (TarsGo's `AddConfig`).
    #[default]
    Server,
    /// This server's on this host (`host` = the server's IP).
    Host,
}

/// Why a config file could not be pulled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteConfigError {
    /// The server has no `config=` object.
    #[error("no config server: set config= in <server>")]
    NoConfigServer,
    /// The name is not a plain file name.
    #[error("'{0}' is not a file name (no directories, not empty)")]
    BadName(String),
    /// tarsconfig could not be called.
    #[error("cannot reach tarsconfig: {0}")]
    Call(#[from] CallError),
    /// tarsconfig answered with an error.
    #[error("tarsconfig refused {file}: return code {code}")]
    Refused {
        /// The file.
        file: String,
        /// Its return code.
        code: i32,
    },
    /// tarsconfig sent an empty file.
    #[error("remote config file is empty: {0}")]
    Empty(String),
    /// The file could not be written under `basepath`.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A file pulled from tarsconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadedConfig {
    /// Its name.
    pub name: String,
    /// Where it was written.
    pub path: PathBuf,
    /// Its content.
    pub content: String,
    /// Whether it differs from the copy that was there before.
    pub changed: bool,
}

/// Pulls config files for one server.
#[derive(Clone)]
pub struct RemoteConfig {
    proxy: Option<ConfigProxy>,
    app: String,
    server: String,
    set: String,
    host: String,
    base_path: PathBuf,
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("enabled", &self.proxy.is_some())
            .field("base_path", &self.base_path)
            .finish()
    }
}

impl RemoteConfig {
    /// Pulls for server `app.server` (in `set`, empty outside sets; on host `host`) into
    /// `base_path`, through `proxy`.
    pub(crate) fn new(
        proxy: Option<ConfigProxy>,
        app: &str,
        server: &str,
        set: &str,
        host: &str,
        base_path: &Path,
    ) -> Self {
        RemoteConfig {
            proxy,
            app: app.into(),
            server: server.into(),
            set: set.into(),
            host: host.into(),
            base_path: base_path.into(),
        }
    }

    /// Pulls `file` at `level` and writes it to `basepath/file`.
    pub async fn load(&self, file: &str, level: ConfigLevel) -> Result<LoadedConfig, RemoteConfigError> {
        let proxy = self.proxy.as_ref().ok_or(RemoteConfigError::NoConfigServer)?;
        if file.is_empty() || file.contains(['/', '\\']) || file == "." || file == ".." || file.contains('\0') {
            return Err(RemoteConfigError::BadName(file.into()));
        }
        let info = ConfigInfo {
            appname: self.app.clone(),
            servername: if level == ConfigLevel::App {
                String::new()
            } else {
                self.server.clone()
            },
            filename: file.into(),
            b_app_only: level == ConfigLevel::App,
            host: if level == ConfigLevel::Host {
                self.host.clone()
            } else {
                String::new()
            },
            setdivision: self.set.clone(),
            ..ConfigInfo::default()
        };
        let opts = CallOptions::new().timeout(CALL_TIMEOUT);
        let (code, content) = proxy.load_config_by_info_with(&opts, &info).await?.value;
        if code != 0 {
            return Err(RemoteConfigError::Refused {
                file: file.into(),
                code,
            });
        }
        if content.is_empty() {
            return Err(RemoteConfigError::Empty(file.into()));
        }
        let path = self.base_path.join(file);
        let (p, bytes) = (path.clone(), content.clone().into_bytes());
        let written = tokio::task::spawn_blocking(move || write_keeping_backups(&p, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        let changed = written.map_err(|source| RemoteConfigError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(LoadedConfig {
            name: file.into(),
            path,
            content,
            changed,
        })
    }
}

/// Writes `content` to `path` unless it is already there; the copy it replaces becomes
/// `path.1.bak`, older backups shift up to [`BACKUPS`]. Returns whether it changed.
fn write_keeping_backups(path: &Path, content: &[u8]) -> std::io::Result<bool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::read(path) {
        Ok(old) if old == content => return Ok(false),
        Ok(_) => {
            let bak = |i: usize| {
                let mut p = path.as_os_str().to_owned();
                p.push(format!(".{i}.bak"));
                PathBuf::from(p)
            };
            for i in (1..BACKUPS).rev() {
                if bak(i).exists() {
                    std::fs::rename(bak(i), bak(i + 1))?;
                }
            }
            std::fs::rename(path, bak(1))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Written aside then renamed, so a reader never sees half a file.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_files_keep_five_backups() {
        let dir = std::env::temp_dir().join(format!("tars-rconf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("app.conf");
        for v in 0..8 {
            assert!(write_keeping_backups(&path, format!("v{v}").as_bytes()).unwrap());
        }
        assert!(!write_keeping_backups(&path, b"v7").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "v7");
        for i in 1..=BACKUPS {
            let bak = std::fs::read_to_string(dir.join(format!("app.conf.{i}.bak"))).unwrap();
            assert_eq!(bak, format!("v{}", 7 - i));
        }
        assert!(!dir.join("app.conf.6.bak").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn names_with_directories_are_refused() {
        let rc = RemoteConfig::new(None, "A", "S", "", "", Path::new("/tmp"));
        assert!(matches!(
            rc.load("x", ConfigLevel::Server).await,
            Err(RemoteConfigError::NoConfigServer)
        ));
        let comm = crate::client::Communicator::new();
        let proxy = comm
            .string_to_proxy::<ConfigProxy>("tars.tarsconfig.ConfigObj@tcp -h 127.0.0.1 -p 1")
            .unwrap();
        let rc = RemoteConfig::new(Some(proxy), "A", "S", "", "", Path::new("/tmp"));
        for bad in ["../etc/passwd", "a/b", "", ".."] {
            assert!(matches!(
                rc.load(bad, ConfigLevel::Server).await,
                Err(RemoteConfigError::BadName(_))
            ));
        }
    }
}
