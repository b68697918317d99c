// include_tars! on an IDL that uses every feature: comments, #include, two modules with
// cross-module references, every scalar type, nesting, enums, consts, key[], interfaces,
// Rust keywords and mixed-case names.
mod idl {
    tars::include_tars!("idl_everything.tars");
}

use idl::client::Wrapper;
use idl::everything::{self as ev, Code, Request, Scalars};
use idl::other::{Level, Point};

fn main() {
    // Defaults from the IDL.
    let s = Scalars::default();
    assert!(s.b);
    assert_eq!((s.i8v, s.i16v, s.i32v, s.i64v), (-3i8, -300i16, 0x7f, 8i64));
    assert_eq!((s.f, s.d, s.s.as_str()), (1.5f32, 1e-3f64, "dflt"));
    assert_eq!((s.u8v, s.u16v, s.u32v), (200u8, 60000u16, 4_000_000_000u32));

    // Generated names: sReq -> s_req, type -> r#type, match -> r#match.
    let mut r = Request::default();
    assert_eq!(r.r#match, "m");
    assert_eq!(r.code, Code::Neg);
    assert_eq!(r.level, Level::High);
    r.s_req = "hello".into();
    r.r#type = 7;
    r.origin = Point { x: 1, y: 2 };
    r.nested = vec![[(1, vec!["a".to_string(), "b".to_string()])].into_iter().collect()];
    r.levels.insert(Point { x: 3, y: 4 }, Level::Low);
    r.blob = tars::bytes::Bytes::from_static(b"\x01\x02");
    r.scalars.i32v = -1;
    r.paths.insert("p".into(), vec![Point { x: 5, y: 6 }]);
    r.codes = vec![Code::Ok, Code::AfterNeg];

    // Round trip. Request is compared by its key[] only, so also check the other fields.
    let bytes = tars::codec::to_bytes(&r);
    let back: Request = tars::codec::from_bytes(&bytes).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.r#match, r.r#match);
    assert_eq!(back.nested, r.nested);
    assert_eq!(back.levels, r.levels);
    assert_eq!(back.blob, r.blob);
    assert_eq!(back.scalars, r.scalars);
    assert_eq!(back.paths, r.paths);
    assert_eq!(back.codes, r.codes);

    let w = Wrapper { req: r.clone(), codes: vec![Code::Warn], level: Level::High };
    let back: Wrapper = tars::codec::from_bytes(&tars::codec::to_bytes(&w)).unwrap();
    assert_eq!(back, w);
    assert_eq!(Wrapper::default().level, Level::High);

    // Enum values: implicit, explicit, negative, member names.
    let values: Vec<i32> = [Code::Ok, Code::Warn, Code::Next, Code::Neg, Code::AfterNeg, Code::SameAsWarn]
        .iter()
        .map(|c| c.value())
        .collect();
    assert_eq!(values, [0, 10, 11, -5, -4, 10]);
    assert_eq!(Code::from_value(10).idl_name(), Some("WARN"));
    assert_eq!(Code::from_value(99), Code::Undeclared(99));

    // Consts.
    assert!(ev::DEBUG);
    assert_eq!((ev::SMALL, ev::MID, ev::MAX_COUNT, ev::BIG), (i8::MIN, 300i16, i32::MAX, i64::MIN));
    assert_eq!((ev::RATIO, ev::PI), (0.5f32, 3.14159f64));
    assert_eq!(ev::GREETING, "hello \"world\"\n");
    assert_eq!((ev::UB, ev::US, ev::UI), (u8::MAX, u16::MAX, u32::MAX));
    assert_eq!((ev::DEFAULT_CODE, ev::QUALIFIED_CODE, ev::LEVEL), (Code::Warn, Code::Neg, Level::High));

    // The interface descriptor.
    let api = &ev::API_INTERFACE;
    assert_eq!((api.module, api.name, api.methods.len()), ("Everything", "Api", 4));
    assert_eq!(api.method("ping").unwrap().ret, None);
    assert!(api.method("ping").unwrap().params.is_empty());
    let echo = api.method("echo").unwrap();
    assert_eq!(echo.ret, Some("int"));
    assert_eq!((echo.params[1].name, echo.params[1].tag, echo.params[1].out), ("sRsp", 2, true));
    let fetch = api.method("fetch").unwrap();
    assert_eq!(fetch.ret, Some("Everything::Request"));
    assert!(fetch.params[0].routekey);
    assert_eq!(fetch.params[3].ty, "vector<Everything::Request>");
    assert_eq!(api.method("locate").unwrap().ret, Some("Other::Point"));
}
