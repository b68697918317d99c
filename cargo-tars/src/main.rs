//! `cargo tars package` and `cargo tars upload` (see the crate docs and the README's
//! "Deploying"). Runs as a cargo subcommand once installed, or from the workspace as
//! `cargo run -p cargo-tars -- tars package …`.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use cargo_tars::{Package, Upload};

const USAGE: &str = "usage:
  cargo tars package [--bin NAME | --example NAME] [-p PACKAGE] [--server SERVER] [--target TRIPLE]
                     [--out DIR] [--include PATH]...
      builds in release and writes DIR/SERVER.tgz (SERVER/SERVER and the included files);
      --target x86_64-unknown-linux-musl makes a static binary for any node or base image
  cargo tars upload --url TARSWEB --app APP --token TOKEN [--server SERVER] [--comment TEXT]
                    [--k8s SERVER_TYPE BASE_IMAGE] PACKAGE.tgz
      TarsWeb's upload_and_publish (K8SFramework: --url http://HOST/pages/k8s --k8s cpp IMAGE)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo tars: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo tars …` runs `cargo-tars tars …`.
    if args.first().is_some_and(|a| a == "tars") {
        args.remove(0);
    }
    let Some(command) = args.first().cloned() else {
        return Err(USAGE.into());
    };
    if command == "-h" || command == "--help" {
        println!("{USAGE}");
        return Ok(());
    }
    let mut rest = args.into_iter().skip(1);
    let mut flags: Vec<(String, Vec<String>)> = Vec::new();
    let mut positional = Vec::new();
    while let Some(arg) = rest.next() {
        let takes = match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--k8s" => 2,
            "--bin" | "--example" | "-p" | "--package" | "--server" | "--target" | "--out" | "--include" | "--url"
            | "--app" | "--token" | "--comment" => 1,
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'\n{USAGE}").into()),
            _ => {
                positional.push(arg);
                continue;
            }
        };
        let values: Vec<String> = rest.by_ref().take(takes).collect();
        if values.len() != takes {
            return Err(format!("{arg} needs {takes} value(s)\n{USAGE}").into());
        }
        flags.push((arg, values));
    }
    let one = |name: &str| flags.iter().rev().find(|(f, _)| f == name).map(|(_, v)| v[0].clone());
    match command.as_str() {
        "package" => {
            if !positional.is_empty() {
                return Err(format!("unexpected argument '{}'\n{USAGE}", positional[0]).into());
            }
            let (kind, name) = match (one("--bin"), one("--example")) {
                (Some(_), Some(_)) => return Err("give --bin or --example, not both".into()),
                (Some(b), None) => ("--bin", Some(b)),
                (None, Some(e)) => ("--example", Some(e)),
                (None, None) => ("--bin", None),
            };
            let target = one("--target");
            let package = one("-p").or_else(|| one("--package"));
            let binary = build(kind, name.as_deref(), package.as_deref(), target.as_deref())?;
            let default_server = binary
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let server = one("--server").unwrap_or(default_server);
            let include = flags
                .iter()
                .filter(|(f, _)| f == "--include")
                .map(|(_, v)| PathBuf::from(&v[0]))
                .collect();
            let out = PathBuf::from(one("--out").unwrap_or_else(|| ".".into()));
            let written = cargo_tars::package(
                &Package {
                    server,
                    binary,
                    include,
                },
                &out,
            )?;
            println!("{}", written.display());
            Ok(())
        }
        "upload" => {
            let need = |name: &str| one(name).ok_or_else(|| format!("upload needs {name}\n{USAGE}"));
            let [package] = positional.as_slice() else {
                return Err(format!("upload takes one package (SERVER.tgz)\n{USAGE}").into());
            };
            let package = PathBuf::from(package);
            let server = one("--server").unwrap_or_else(|| {
                package
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            let k8s = flags
                .iter()
                .rev()
                .find(|(f, _)| f == "--k8s")
                .map(|(_, v)| (v[0].clone(), v[1].clone()));
            let answer = cargo_tars::upload(
                &Upload {
                    url: need("--url")?,
                    token: need("--token")?,
                    app: need("--app")?,
                    server,
                    comment: one("--comment").unwrap_or_else(|| "cargo tars upload".into()),
                    k8s,
                },
                &package,
            )?;
            println!("{answer}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n{USAGE}").into()),
    }
}

/// Builds the binary in release with cargo and returns its path.
fn build(
    kind: &str,
    name: Option<&str>,
    package: Option<&str>,
    target: Option<&str>,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--message-format=json-render-diagnostics"]);
    if let Some(name) = name {
        cmd.args([kind, name]);
    }
    if let Some(p) = package {
        cmd.args(["-p", p]);
    }
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let out = cmd.stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        return Err("cargo build failed".into());
    }
    let wanted_kind = if kind == "--example" { "example" } else { "bin" };
    let executables: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            let t = &m["target"];
            t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == wanted_kind))
                && name.is_none_or(|n| t["name"] == n)
        })
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .collect();
    match executables.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "cargo built no {wanted_kind}{}",
            name.map(|n| format!(" named {n}")).unwrap_or_default()
        )
        .into()),
        many => Err(format!(
            "cargo built {} binaries ({}): choose one with --bin or --example",
            many.len(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into()),
    }
}
