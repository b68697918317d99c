use super::rich;
use crate::support::server::hello;

#[test]
fn hello_interface_is_described() {
    let desc = &hello::test_app::HELLO_INTERFACE;
    assert_eq!(desc.module, "TestApp");
    let m = desc.method("testHello").unwrap();
    assert_eq!(m.ret, Some("int"));
    assert_eq!(m.params.len(), 2);
    assert_eq!((m.params[0].name, m.params[0].tag, m.params[0].out), ("sReq", 1, false));
    assert_eq!((m.params[1].name, m.params[1].tag, m.params[1].out), ("sRsp", 2, true));
}

#[test]
fn rich_defaults() {
    use rich::rich::*;
    let e = Everything::default();
    assert_eq!(
        (e.i8v, e.i16v, e.i64v, e.u8v, e.u32v, e.f, e.s.as_str()),
        (-3, 300, -1, 200, 4_000_000_000, 0.5, "dflt")
    );
    assert_eq!(e.color, Color::Blue);
    assert_eq!(e.color2, Color::Red);
    assert_eq!(Color::Alias, Color::Green);
    assert_eq!(Color::from_value(7), Color::Undeclared(7));
    assert_eq!((MAX_ITEMS, GREETING, DEFAULT_COLOR), (100, "hi", Color::Blue));
    let bytes = tars::codec::to_bytes(&e);
    assert_eq!(tars::codec::from_bytes::<Everything>(&bytes).unwrap(), e);
}
