//! `cargo tars`: the package's layout, the upload request against a TarsWeb double that
//! asserts its multipart fields, and the command line's errors.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_tars::{Package, Upload};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cargo-tars-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (path, mode, content) of every file in a .tgz (directories left out).
fn entries(tgz: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(tgz).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if !e.header().entry_type().is_file() {
            continue;
        }
        let path = e.path().unwrap().display().to_string();
        let mode = e.header().mode().unwrap();
        let mut content = Vec::new();
        e.read_to_end(&mut content).unwrap();
        out.push((path, mode, content));
    }
    out
}

#[test]
fn a_package_is_one_directory_with_the_binary_named_after_the_server() {
    let dir = scratch("package");
    let binary = dir.join("hello_server");
    std::fs::write(&binary, b"\x7fELF not really").unwrap();
    let conf = dir.join("HelloServer.conf");
    std::fs::write(&conf, "<tars></tars>").unwrap();
    let assets = dir.join("assets");
    std::fs::create_dir_all(assets.join("img")).unwrap();
    std::fs::write(assets.join("img/logo.txt"), "logo").unwrap();
    let tgz = cargo_tars::package(
        &Package {
            server: "HelloServer".into(),
            binary,
            include: vec![conf, assets],
        },
        &dir.join("out"),
    )
    .unwrap();
    assert_eq!(tgz, dir.join("out/HelloServer.tgz"));
    let files = entries(&tgz);
    let names: Vec<&str> = files.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "HelloServer/HelloServer",
            "HelloServer/HelloServer.conf",
            "HelloServer/assets/img/logo.txt"
        ]
    );
    assert_eq!(files[0].1 & 0o777, 0o755, "the binary is executable");
    assert_eq!(files[0].2, b"\x7fELF not really");
    assert!(
        entries(&tgz).iter().all(|(p, _, _)| p.starts_with("HelloServer/")),
        "one top directory"
    );
    let bad = cargo_tars::package(
        &Package {
            server: "../evil".into(),
            binary: dir.join("hello_server"),
            include: vec![],
        },
        &dir,
    );
    assert!(matches!(bad, Err(cargo_tars::Error::BadName(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A TarsWeb double: answers one request with `answer` and returns the request (head, body).
fn tarsweb(answer: &'static str) -> (String, std::thread::JoinHandle<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        let head_end = loop {
            let n = s.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&got[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        while got.len() < head_end + length {
            let n = s.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        write!(
            s,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        (head, got[head_end..].to_vec())
    });
    (url, handle)
}

fn upload_to(url: &str, k8s: bool) -> Upload {
    Upload {
        url: url.to_string(),
        token: "T0KEN".into(),
        app: "TestApp".into(),
        server: "HelloServer".into(),
        comment: "first".into(),
        k8s: k8s.then(|| ("cpp".to_string(), "tarscloud/tars.cppbase".to_string())),
    }
}

#[test]
fn upload_posts_tarswebs_multipart_fields_with_the_token_as_ticket() {
    let dir = scratch("upload");
    let tgz = dir.join("HelloServer.tgz");
    std::fs::write(&tgz, b"\x1f\x8bpackage bytes").unwrap();
    let (url, web) = tarsweb(r#"{"ret_code":200,"err_msg":"","data":{"id":7}}"#);
    let answer = cargo_tars::upload(&upload_to(&url, false), &tgz).unwrap();
    assert!(answer.contains("\"ret_code\":200"));
    let (head, body) = web.join().unwrap();
    assert!(
        head.starts_with("POST /api/upload_and_publish?ticket=T0KEN HTTP/1.1"),
        "{head}"
    );
    let boundary = head
        .lines()
        .find_map(|l| l.split_once("boundary=").map(|(_, b)| b.trim().to_string()))
        .expect("a multipart content type");
    let body = String::from_utf8_lossy(&body).into_owned();
    let field = |name: &str| {
        let start = format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n");
        let at = body.find(&start).unwrap_or_else(|| panic!("no field {name}: {body}")) + start.len();
        body[at..].split("\r\n").next().unwrap().to_string()
    };
    assert_eq!(field("application"), "TestApp");
    assert_eq!(field("module_name"), "HelloServer");
    assert_eq!(field("comment"), "first");
    assert!(body.contains("name=\"suse\"; filename=\"HelloServer.tgz\""), "{body}");
    assert!(body.contains("\u{1f}\u{fffd}package bytes"), "the package's bytes");
    assert!(body.trim_end().ends_with(&format!("--{boundary}--")));
    // K8SFramework's TarsWeb takes the server type and base image too.
    let (url, web) = tarsweb(r#"{"ret_code":200}"#);
    cargo_tars::upload(&upload_to(&format!("{url}/pages/k8s"), true), &tgz).unwrap();
    let (head, body) = web.join().unwrap();
    assert!(
        head.starts_with("POST /pages/k8s/api/upload_and_publish?ticket=T0KEN"),
        "{head}"
    );
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("name=\"server_type\"\r\n\r\ncpp\r\n") && body.contains("tarscloud/tars.cppbase"));
    // A refusal is an error carrying TarsWeb's words.
    let (url, web) = tarsweb(r##"{"ret_code":500,"err_msg":"#EM_I_FAILED#"}"##);
    let e = cargo_tars::upload(&upload_to(&url, false), &tgz).unwrap_err();
    web.join().unwrap();
    assert!(
        e.to_string().contains("EM_I_FAILED") && !e.to_string().contains("T0KEN"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_command_line_answers_help_and_names_what_is_wrong() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-tars"))
            .args(args)
            .output()
            .unwrap()
    };
    let help = run(&["tars", "--help"]);
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("cargo tars package"));
    for (args, says) in [
        (&["tars", "deploy"][..], "unknown command 'deploy'"),
        (&["tars", "package", "--bogus"], "unknown option '--bogus'"),
        (&["tars", "upload", "X.tgz"], "upload needs --url"),
        (&["tars", "package", "--bin", "a", "--example", "b"], "not both"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
