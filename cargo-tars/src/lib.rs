//! `cargo tars`: what a TARS team does with a server between `cargo build` and TarsWeb.
//!
//! - [`package`]: `<Server>.tgz` holding one top directory `<Server>/` with the binary named
//!   `<Server>` (tarsnode unpacks it and starts `bin/<Server>`) and any files added;
//! - [`upload`]: TarsWeb's `upload_and_publish` (what TarsGo's `make upload` and TarsCpp's
//!   `make <Server>-upload` call): a multipart POST of the package with the application and
//!   module name, authenticated by a TarsWeb token as `?ticket=`.
//!
//! The `cargo-tars` binary builds the server with cargo first (`--release`, `--target`) and
//! then calls these.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a package could not be made or uploaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A name TarsWeb and tarsnode cannot take.
    #[error("'{0}' is not a server name: use letters, digits, '_' and '-' (tarsnode runs bin/<Server>)")]
    BadName(String),
    /// The upload failed.
    #[error("upload to {url}: {message}")]
    Upload {
        /// Where (without the token).
        url: String,
        /// What went wrong, as TarsWeb or the connection said.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What goes into a package.
#[derive(Debug, Clone)]
pub struct Package {
    /// The server's name (`HelloServer`): the top directory and the binary's name.
    pub server: String,
    /// The built binary.
    pub binary: PathBuf,
    /// Files and directories added beside the binary, under their own names.
    pub include: Vec<PathBuf>,
}

/// Writes `package` as `<out_dir>/<Server>.tgz` and returns its path.
pub fn package(package: &Package, out_dir: &Path) -> Result<PathBuf, Error> {
    let server = &package.server;
    if server.is_empty()
        || !server
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::BadName(server.clone()));
    }
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let out = out_dir.join(format!("{server}.tgz"));
    let file = std::fs::File::create(&out).map_err(io(&out))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut binary = std::fs::File::open(&package.binary).map_err(io(&package.binary))?;
    let len = binary.metadata().map_err(io(&package.binary))?.len();
    let mut header = tar::Header::new_gnu();
    header.set_size(len);
    header.set_mode(0o755);
    header.set_cksum();
    tar.append_data(&mut header, format!("{server}/{server}"), &mut binary)
        .map_err(io(&out))?;
    for extra in &package.include {
        let name = extra
            .file_name()
            .ok_or_else(|| Error::Io {
                path: extra.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file or directory name"),
            })?
            .to_string_lossy()
            .into_owned();
        let inside = format!("{server}/{name}");
        if extra.is_dir() {
            tar.append_dir_all(&inside, extra).map_err(io(extra))?;
        } else {
            tar.append_path_with_name(extra, &inside).map_err(io(extra))?;
        }
    }
    let gz = tar.into_inner().map_err(io(&out))?;
    gz.finish().map_err(io(&out))?.flush().map_err(io(&out))?;
    Ok(out)
}

/// Where and as whom to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// TarsWeb's address (`http://tarsweb:3000`), or its K8SFramework one
    /// (`http://host/pages/k8s`).
    pub url: String,
    /// A TarsWeb token (user center → token).
    pub token: String,
    /// The application (`TestApp`).
    pub app: String,
    /// The server (`HelloServer`): TarsWeb's `module_name`.
    pub server: String,
    /// The version comment TarsWeb shows.
    pub comment: String,
    /// K8SFramework only: `server_type` (`cpp`, `go`…) and `base_image`.
    pub k8s: Option<(String, String)>,
}

/// The request `upload` makes: the URL (with the token) and the multipart body, with its
/// boundary.
pub fn upload_request(upload: &Upload, package: &Path) -> Result<(String, String, Vec<u8>), Error> {
    let bytes = std::fs::read(package).map_err(io(package))?;
    let boundary = format!("tars-rs-{:016x}", fnv(&bytes));
    let mut body = Vec::with_capacity(bytes.len() + 1024);
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    };
    field("application", &upload.app);
    field("module_name", &upload.server);
    field("comment", &upload.comment);
    if let Some((server_type, base_image)) = &upload.k8s {
        field("server_type", server_type);
        field("base_image", base_image);
    }
    let file_name = package
        .file_name()
        .map_or_else(|| "package.tgz".into(), |n| n.to_string_lossy().into_owned());
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"suse\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let url = format!(
        "{}/api/upload_and_publish?ticket={}",
        upload.url.trim_end_matches('/'),
        upload.token
    );
    Ok((url, boundary, body))
}

/// Uploads `package` to TarsWeb and publishes it; returns TarsWeb's answer.
pub fn upload(upload: &Upload, package: &Path) -> Result<String, Error> {
    let (url, boundary, body) = upload_request(upload, package)?;
    let shown = format!("{}/api/upload_and_publish", upload.url.trim_end_matches('/'));
    let fail = |message: String| Error::Upload {
        url: shown.clone(),
        message,
    };
    let answer = ureq::post(&url)
        .set("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
        .send_bytes(&body)
        .map_err(|e| fail(e.to_string()))?
        .into_string()
        .map_err(|e| fail(e.to_string()))?;
    // TarsWeb answers {"ret_code":200,…}; failures carry another code or EM_I_FAILED.
    match serde_json::from_str::<serde_json::Value>(&answer) {
        Ok(v) if v["ret_code"] == 200 => Ok(answer),
        _ if answer.contains("EM_I_FAILED") || !answer.contains("200") => Err(fail(answer)),
        _ => Ok(answer),
    }
}

/// A stable 64-bit hash (FNV-1a), for a boundary that does not occur in the package.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}
