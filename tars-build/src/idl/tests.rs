//! Compiler tests on in-memory files, and golden tests of the generated code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::resolve::{self, Options, Source};
use super::{Input, Parts};

struct Mem(HashMap<PathBuf, String>);

impl Source for Mem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

fn errors_of(files: &[(&str, &str)]) -> Vec<String> {
    let mem = Mem(files
        .iter()
        .map(|(p, t)| (PathBuf::from("/idl").join(p), t.to_string()))
        .collect());
    match super::compile(
        &mem,
        Path::new("/idl").join(files[0].0).as_path(),
        files[0].0,
        Options::default(),
        Parts::All,
    ) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

fn errors(src: &str) -> Vec<String> {
    errors_of(&[("t.tars", src)])
}

fn spec(src: &str) -> super::model::Spec {
    let mem = Mem([(PathBuf::from("/idl/t.tars"), src.to_string())].into());
    let (spec, errors) = resolve::load(&mem, Path::new("/idl/t.tars"), "t.tars", Options::default());
    assert!(errors.is_empty(), "{errors:?}");
    spec
}

#[test]
fn unknown_type_points_at_the_type_with_a_hint() {
    let e = errors("module M {\n  struct S {\n    0 require strin name;\n  };\n};\n");
    assert_eq!(e, ["t.tars:3:15: unknown type 'strin' (did you mean 'string'?)"]);
}

#[test]
fn every_error_is_reported() {
    let src = "module M {
  struct S {
    0 require int a;
    0 require int b;
    1 require int a;
    300 optional int c;
    2 optional vector<int> v = 1;
    3 optional int d = \"x\";
    4 optional byte e = 1000;
  };
  enum E { A, B, A };
  struct tarsX { 0 require int x; };
  struct Broken { 0 require int ; };
  struct AfterBroken { 0 require Nope n; };
};
";
    let e = errors(src);
    let expected = [
        "t.tars:4:5: duplicate tag 0: fields 'a' and 'b' of struct S",
        "t.tars:5:19: duplicate field name 'a' in struct S (first at line 3)",
        "t.tars:6:5: tag 300 of field 'c' is out of range: TARS tags are 0..=255",
        "t.tars:7:32: field 'v' is a vector: only scalar, string and enum fields take a default",
        "t.tars:8:24: \"x\" is not a valid int value",
        "t.tars:9:25: 1000 is out of range for byte (-128..=127)",
        "t.tars:11:18: duplicate enum member 'A' in enum E",
        "t.tars:12:10: struct 'tarsX' starts with 'tars': names beginning with 'tars' are reserved for the framework",
        "t.tars:13:33: expected a field name, found ';'",
        "t.tars:14:34: unknown type 'Nope'",
    ];
    assert_eq!(e, expected);
}

#[test]
fn includes_resolve_relative_to_the_including_file() {
    let e = errors_of(&[
        (
            "a.tars",
            "#include \"sub/b.tars\"\nmodule A { struct S { 0 require B::T t; }; };",
        ),
        (
            "sub/b.tars",
            "#include \"c.tars\"\nmodule B { struct T { 0 require C::U u; }; };",
        ),
        ("sub/c.tars", "module C { struct U { 0 require int x; }; };"),
    ]);
    assert!(e.is_empty(), "{e:?}");
}

#[test]
fn missing_includes_and_cycles_are_errors() {
    let e = errors_of(&[(
        "a.tars",
        "#include \"nope.tars\"\nmodule A { struct S { 0 require int x; }; };",
    )]);
    assert_eq!(e, ["a.tars:1:1: cannot read 'nope.tars': no such file"]);
    let e = errors_of(&[
        (
            "a.tars",
            "#include \"b.tars\"\nmodule A { struct S { 0 require int x; }; };",
        ),
        (
            "b.tars",
            "\n#include \"a.tars\"\nmodule B { struct T { 0 require int x; }; };",
        ),
    ]);
    assert_eq!(e, ["b.tars:2:1: include cycle: a.tars -> b.tars -> a.tars"]);
}

#[test]
fn enum_values_follow_the_idl_rules() {
    let s = spec("module M { enum E { A, B = 5, C, D = B, E2 = -3, F, G = 0x10 }; };");
    let values: Vec<(String, i32)> = s.modules[0].enums[0]
        .members
        .iter()
        .map(|m| (m.name.clone(), m.value))
        .collect();
    let expected = [("A", 0), ("B", 5), ("C", 6), ("D", 5), ("E2", -3), ("F", -2), ("G", 16)];
    assert_eq!(values, expected.map(|(n, v)| (n.to_string(), v)));
}

#[test]
fn method_params_take_their_position_as_tag() {
    let s = spec("module M { interface I { int f(string a, out string b, routekey int c); void g(); }; };");
    let f = &s.modules[0].interfaces[0].methods[0];
    let tags: Vec<(&str, u8, bool, bool)> = f
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.tag, p.out, p.routekey))
        .collect();
    assert_eq!(
        tags,
        [("a", 1, false, false), ("b", 2, true, false), ("c", 3, false, true)]
    );
    assert!(s.modules[0].interfaces[0].methods[1].ret.is_none());
}

#[test]
fn out_before_in_is_accepted_like_tars2cpp() {
    assert!(errors("module M { interface I { int f(out int a, int b); }; };").is_empty());
}

#[test]
fn comments_become_docs() {
    let s = spec(
        "module M {\n  /** A struct. */\n  struct S {\n    // the id\n    0 require int id;\n    1 optional string n; // trailing\n  };\n};",
    );
    let st = &s.modules[0].structs[0];
    assert_eq!(st.doc, ["A struct."]);
    assert_eq!(st.fields[0].doc, ["the id"]);
    assert_eq!(st.fields[1].doc, ["trailing"]);
}

#[test]
fn map_keys_must_be_ordered() {
    let e = errors("module M { struct P { 0 require int x; }; struct S { 0 optional map<P, int> m; 1 optional map<float, int> f; }; };");
    assert_eq!(
        e,
        [
            "t.tars:1:69: M::P cannot be a map key: struct P has no key[P, ...] to order it",
            "t.tars:1:95: float cannot be a map key: floats have no total order in Rust; use an integer or string",
        ]
    );
}

#[test]
fn self_containing_structs_and_unsigned_long_are_rejected() {
    let e = errors("module M { struct S { 0 optional S s; }; struct T { 0 optional vector<T> t; }; };");
    assert_eq!(
        e,
        ["t.tars:1:19: struct S contains itself: S.s -> S; use a vector to nest it"]
    );
    let e = errors("module M {\n struct A { 0 optional B b; };\n struct B { 0 optional A a; };\n};");
    assert_eq!(
        e,
        ["t.tars:2:9: struct A contains itself: A.b -> B.a -> A; use a vector to nest it"]
    );
    let e = errors("module M { struct S { 0 optional unsigned long x; }; };");
    assert_eq!(
        e,
        ["t.tars:1:34: 'unsigned long' is not a TARS type (no wider integer holds it); use 'long'"]
    );
}

#[test]
fn syntax_errors_recover_at_the_next_item() {
    let e = errors("module M {\n  struct A { 0 require int x };\n  struct B { 0 require int y; };\n  struct C { 0 require Bad z; };\n};");
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0], "t.tars:2:30: expected ';', found '}'");
    assert_eq!(e[1], "t.tars:4:24: unknown type 'Bad'");
}

#[test]
fn a_missing_semicolon_is_reported_at_the_end_of_its_line() {
    let e = errors("module M {\n  struct S {\n    0 require int a\n    1 require int b;\n  };\n};");
    assert_eq!(e, ["t.tars:3:20: expected ';' after 'a'"]);
}

#[test]
fn errors_inside_an_enum_do_not_hide_later_items() {
    let e = errors("module M {\n  enum Color { RED GREEN };\n  struct S { 0 require strin s; };\n};");
    assert_eq!(
        e,
        [
            "t.tars:2:20: expected ',' or '}', found 'GREEN'",
            "t.tars:3:24: unknown type 'strin' (did you mean 'string'?)",
        ]
    );
}

#[test]
fn a_missing_root_file_says_where_it_looked() {
    let mem = Mem(HashMap::new());
    let e = super::compile(
        &mem,
        Path::new("/crate/x.tars"),
        "x.tars",
        Options::default(),
        Parts::All,
    )
    .unwrap_err();
    assert_eq!(
        e,
        ["cannot read 'x.tars': no such file (looked for /crate/x.tars; the path is relative to the crate's CARGO_MANIFEST_DIR)"]
    );
}

#[test]
fn cpp_fixed_sizes_map_to_wire_types() {
    let s = spec("module M { struct S { 0 require string:8 a; 1 optional byte *b; 2 optional int c[4]; 3 optional int d:2; 4 optional vector<int>:3 e; }; };");
    let tys: Vec<String> = s.modules[0].structs[0].fields.iter().map(|f| f.ty.idl()).collect();
    assert_eq!(tys, ["string", "vector<byte>", "vector<int>", "int", "vector<int>"]);
    let e = errors("module M { struct S { 0 require int:8 a; 1 optional short *b; 2 optional int c[0]; }; };");
    assert_eq!(
        e,
        [
            "t.tars:1:33: only string or vector can have a fixed size ('type:N')",
            "t.tars:1:53: only 'byte *' can be a pointer type",
            "t.tars:1:80: fixed size 0 is out of range (1 to 999999)",
        ]
    );
}

/// One item of each kind, for the [`Parts`] tests.
const ONE_OF_EACH: &str = "module Demo {
  struct Req { 0 require string text; };
  enum Mood { HAPPY, SAD };
  const int LIMIT = 3;
  interface Hello { int greet(Req req, out string reply); };
};";

/// The code generated for [`ONE_OF_EACH`] with `parts`, as token text.
fn code_of(parts: Parts) -> String {
    let mem = Mem([(PathBuf::from("/idl/t.tars"), ONE_OF_EACH.to_string())].into());
    super::compile(&mem, Path::new("/idl/t.tars"), "t.tars", Options::default(), parts)
        .unwrap()
        .to_string()
}

#[test]
fn every_part_generates_the_types() {
    for parts in [Parts::All, Parts::TypesOnly, Parts::ClientOnly, Parts::ServerOnly] {
        let code = code_of(parts);
        for item in ["pub struct Req", "pub enum Mood", "pub const LIMIT"] {
            assert!(code.contains(item), "{parts:?} does not generate `{item}`");
        }
    }
}

#[test]
fn parts_choose_descriptors_servant_traits_and_proxies() {
    // (parts, descriptor, servant trait, proxy)
    let cases = [
        (Parts::All, true, true, true),
        (Parts::TypesOnly, false, false, false),
        (Parts::ClientOnly, true, false, true),
        (Parts::ServerOnly, true, true, false),
    ];
    for (parts, descriptor, servant, proxy) in cases {
        let code = code_of(parts);
        let has = |item: &str| code.contains(item);
        assert_eq!(has("pub static HELLO_INTERFACE"), descriptor, "{parts:?}: descriptor");
        assert_eq!(has("HELLO_INTERFACE"), descriptor, "{parts:?}: descriptor");
        assert_eq!(has("pub trait Hello"), servant, "{parts:?}: servant trait");
        assert_eq!(has("fn __tars_dispatch"), servant, "{parts:?}: dispatcher");
        assert_eq!(has("pub struct HelloProxy"), proxy, "{parts:?}: proxy");
        assert_eq!(has("HelloProxy"), proxy, "{parts:?}: proxy");
    }
}

/// Each side compiles without the other: the server's code names no proxy, the client's no
/// servant trait or dispatcher.
#[test]
fn each_side_names_nothing_of_the_other() {
    let server = code_of(Parts::ServerOnly);
    assert!(!server.contains("Proxy"), "{server}");
    let client = code_of(Parts::ClientOnly);
    assert!(!client.contains("trait "), "{client}");
    assert!(!client.contains("__tars_"), "{client}");
}

/// `include_tars!`'s arguments after the path (`args`) → (`with_tars`, parts), or the error.
fn parse_options(args: &str) -> Result<(bool, Parts), String> {
    syn::parse_str::<Input>(&format!("\"x.tars\"{args}"))
        .map(|i| (i.options.with_tars, i.parts))
        .map_err(|e| e.to_string())
}

#[test]
fn options_combine_with_with_tars_in_any_order() {
    let cases = [
        ("", (false, Parts::All)),
        (",", (false, Parts::All)),
        (", with_tars", (true, Parts::All)),
        (", types_only", (false, Parts::TypesOnly)),
        (", client_only", (false, Parts::ClientOnly)),
        (", server_only", (false, Parts::ServerOnly)),
        (", with_tars, client_only", (true, Parts::ClientOnly)),
        (", server_only, with_tars,", (true, Parts::ServerOnly)),
    ];
    for (args, expected) in cases {
        assert_eq!(parse_options(args), Ok(expected), "include_tars!(\"x.tars\"{args})");
    }
}

#[test]
fn conflicting_repeated_and_unknown_options_are_errors() {
    let conflict = |a: &str, b: &str| {
        format!(
            "include_tars! options `{a}` and `{b}` conflict: give at most one of `types_only`, `client_only` or `server_only` (with none, everything is generated)"
        )
    };
    let cases = [
        (", types_only, client_only", conflict("types_only", "client_only")),
        (
            ", server_only, with_tars, types_only",
            conflict("server_only", "types_only"),
        ),
        (", client_only, server_only", conflict("client_only", "server_only")),
        (
            ", client_only, client_only",
            "include_tars! option `client_only` is given twice; remove one".into(),
        ),
        (
            ", with_tars, with_tars",
            "include_tars! option `with_tars` is given twice; remove one".into(),
        ),
        (
            ", client",
            "unknown include_tars! option `client`; expected `with_tars`, `types_only`, `client_only` or `server_only`"
                .into(),
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(parse_options(args), Err(expected), "include_tars!(\"x.tars\"{args})");
    }
}

/// Golden tests: the code generated for a few `.tars` files, compared with committed
/// expected output. `TARS_BLESS=1 cargo test -p tars-macros golden` rewrites it.
#[test]
fn golden() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let cases = [
        ("tests/idl/hello.tars", "tests/idl/golden/hello.rs", Options::default()),
        ("tests/idl/rich.tars", "tests/idl/golden/rich.rs", Options::default()),
        (
            "tars-rt/idl/RequestF.tars",
            "tests/idl/golden/request_f.rs",
            Options { with_tars: true },
        ),
    ];
    let bless = std::env::var_os("TARS_BLESS").is_some();
    let mut stale = Vec::new();
    for (tars, golden, options) in cases {
        let tokens = super::compile(&resolve::FileSystem, &root.join(tars), tars, options, Parts::All).unwrap();
        let file: syn::File = syn::parse2(tokens).expect("generated code parses as a file");
        let text = prettyplease::unparse(&file).replace(root.to_str().unwrap(), "$WORKSPACE");
        let text = format!("// Generated by include_tars!(\"{tars}\"). Rewrite with TARS_BLESS=1.\n{text}");
        let path = root.join(golden);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(golden);
        }
    }
    assert!(
        stale.is_empty(),
        "generated code differs from {stale:?}; review and rerun with TARS_BLESS=1"
    );
}

/// How long the compiler takes on every framework IDL together (`--ignored` to run).
#[test]
#[ignore]
fn expansion_time_of_framework_idls() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("tars-rt/idl/Framework.tars");
    let runs = 50;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        let tokens = super::compile(
            &resolve::FileSystem,
            &root,
            "Framework.tars",
            Options { with_tars: true },
            Parts::All,
        )
        .unwrap();
        std::hint::black_box(tokens);
    }
    println!(
        "include_tars!(Framework.tars): {:?} per expansion",
        start.elapsed() / runs
    );
}

#[test]
#[ignore]
fn expansion_time_by_stage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("tars-rt/idl/Framework.tars");
    let t = std::time::Instant::now();
    let (spec, _) = resolve::load(
        &resolve::FileSystem,
        &root,
        "Framework.tars",
        Options { with_tars: true },
    );
    let load = t.elapsed();
    let t = std::time::Instant::now();
    let tokens = super::gen::generate(&spec);
    let gen = t.elapsed();
    let t = std::time::Instant::now();
    let text = tokens.to_string();
    println!(
        "load {load:?}, generate {gen:?}, to_string {:?} ({} bytes)",
        t.elapsed(),
        text.len()
    );
    // As `cargo expand` shows it: formatted lines, per framework IDL.
    for file in ["RequestF.tars", "Framework.tars"] {
        let path = root.with_file_name(file);
        let tokens = super::compile(
            &resolve::FileSystem,
            &path,
            file,
            Options { with_tars: true },
            Parts::All,
        )
        .unwrap();
        let formatted = prettyplease::unparse(&syn::parse2(tokens).unwrap());
        println!("{file}: {} lines expanded", formatted.lines().count());
    }
}

/// Replays the `idl` fuzz target's corpus and crash reproducers (`fuzz/corpus/idl`,
/// `fuzz/regressions/idl`; see `fuzz/src/idl/mod.rs`, which does the same for each input):
/// each file is the main `.tars` file, next to the IDLs it may include; compiling must not
/// panic, and what compiles must generate a valid Rust file.
#[test]
fn fuzz_corpus_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut includable = HashMap::new();
    for dir in ["fuzz/idl", "tars-rt/idl"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "tars") {
                let name = path.file_name().unwrap().to_owned();
                includable.insert(Path::new("/idl").join(name), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut inputs = Vec::new();
    for dir in ["fuzz/corpus/idl", "fuzz/regressions/idl"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            inputs.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    inputs.sort();
    assert!(!inputs.is_empty(), "no fuzz corpus in {}", root.join("fuzz").display());
    for input in inputs {
        let Ok(text) = String::from_utf8(std::fs::read(&input).unwrap()) else {
            continue;
        };
        let mut files = includable.clone();
        files.insert(PathBuf::from("/idl/main.tars"), text.clone());
        let mem = Mem(files);
        // As the fuzz target: names starting with `tars` are also tried with `with_tars`.
        let with_tars: &[bool] = if text.contains("tars") {
            &[false, true]
        } else {
            &[false]
        };
        for &with_tars in with_tars {
            let options = Options { with_tars };
            let result = std::panic::catch_unwind(|| {
                super::compile(&mem, Path::new("/idl/main.tars"), "main.tars", options, Parts::All)
                    .map(|tokens| syn::parse2::<syn::File>(tokens).map_err(|e| e.to_string()))
            });
            match result {
                Err(_) => panic!("compiling {} panics", input.display()),
                Ok(Ok(Err(e))) => panic!("{} generates code that is not a Rust file: {e}", input.display()),
                Ok(_) => {}
            }
        }
    }
}
