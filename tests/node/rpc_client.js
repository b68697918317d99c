#!/usr/bin/env node
// Node.js RPC peer of the tars-rs interop tests: calls a TARS server through
// the official Node.js client, @tars/rpc (pinned to 2.0.15), with the
// hand-written tars2node-style proxies in ./proxies.
//
//   node rpc_client.js <suite> <obj-string>
//
// e.g. node rpc_client.js hello "TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 12345 -t 3000"
//
// Runs ONE suite and prints one JSON object on stdout:
//   {"<check>": {"ok": true} | {"ok": false, "error": "..."}, ...}
// A verdict may also carry "detail" (observed codes, messages, raw bytes).
// The exit code is 0 whatever the verdicts; 2 only for usage errors.
// Nothing else is written to stdout (console.* from the libraries goes to
// stderr). A watchdog ends the run (remaining checks fail) so it cannot hang.
//
// Suites and the obj-string each expects:
//   hello  TestApp.Hello obj (tcp)     test, testHello, 200 concurrent testHello
//   udp    TestApp.Hello obj (udp ...) the hello checks over UDP
//   tup    TestApp.Hello obj (tcp)     the hello checks with TUP v3 and v2
//                                      through @tars/rpc (proxy.setVersion),
//                                      plus one hand-built TUP packet per
//                                      version over a raw socket
//   json   TestApp.Hello obj (tcp)     hand-built RequestPacket iVersion=5
//                                      (@tars/rpc 2.0.15 has no JSON client)
//   echo   Interop.Echo obj (tcp)      every Interop.Echo operation
//   errors Interop.Echo obj (tcp)      unknown servant (-4) and function (-3)
// See README.md for every check.
"use strict";

var util = require("util");
var net  = require("net");

// Keep stdout for the one JSON object: @tars/rpc and friends log with
// console.info/log (e.g. AdapterProxy's "retry fail").
["log", "info", "warn", "debug", "error"].forEach(function (k) {
    console[k] = function () { process.stderr.write(util.format.apply(util, arguments) + "\n"); };
});

var assert     = require("assert");
var TarsStream = require("@tars/stream");
var TarsRpc    = require("@tars/rpc");
var TarsError  = TarsRpc.error;
var Endpoint   = require("@tars/utils").Endpoint;
var TarsPacket = require("@tars/rpc/core/rpc-tars/RequestF.js").tars;
var TestApp    = require("./proxies/HelloProxy.js").TestApp;
var Interop    = require("./proxies/InteropProxy.js").Interop;

var CHECK_TIMEOUT_MS = 15000;
var WATCHDOG_MS      = 60000;

// ---------------------------------------------------------------------------
// Wire tap: every request @tars/rpc's TARS client protocol composes is decoded
// again and remembered by its ProtoMessage (= ReqMessage.request), so a check
// can see what really went on the wire (cPacketType, iVersion, ...).
// ---------------------------------------------------------------------------
var WIRE = new WeakMap();
(function installWireTap() {
    var ClientStream = TarsRpc.rpcTars.client;
    var compose = ClientStream.prototype.compose;
    ClientStream.prototype.compose = function (protoMessage) {
        var buf = compose.apply(this, arguments);
        try {
            var is = new TarsStream.TarsInputStream(new TarsStream.BinBuffer(buf.slice(4)));
            var req = TarsPacket.RequestPacket._readFrom(is);
            WIRE.set(protoMessage, {
                length: buf.readUInt32BE(0),
                iVersion: req.iVersion,
                cPacketType: req.cPacketType,
                iRequestId: req.iRequestId,
                sServantName: req.sServantName,
                sFuncName: req.sFuncName
            });
        } catch (e) {
            WIRE.set(protoMessage, { decodeError: String(e && e.message || e) });
        }
        return buf;
    };
})();

function wireOf(reqMessage) {
    return reqMessage && reqMessage.request ? WIRE.get(reqMessage.request) : undefined;
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------
function errMessage(e) {
    if (e && e.response && e.response.error) {
        return (e.name || "Error") + ": " + e.message + " (code " + e.response.error.code +
            ", message " + JSON.stringify(e.response.error.message) + ")";
    }
    if (e instanceof Error) return e.name + ": " + e.message;
    try { return JSON.stringify(e); } catch (x) { return String(e); }
}

// The shape of a rejected call, as generated proxies (_makeError) build it.
function errShape(e) {
    if (!e || typeof e !== "object") return { value: String(e) };
    var re = e.response && e.response.error;
    return {
        instanceofError: e instanceof Error,
        name: e.name,
        message: e.message,
        keys: Object.keys(e),
        response: e.response ? {
            costtime: e.response.costtime,
            error: re ? { code: re.code, message: re.message } : re
        } : e.response
    };
}

function errCode(e) {
    return e && e.response && e.response.error ? e.response.error.code : undefined;
}

function Fail(msg, detail) {
    this.msg = msg;
    this.detail = detail;
}

function expect(cond, msg, detail) {
    if (!cond) throw new Fail(msg, detail);
}

function deepEq(actual, expected, what) {
    try {
        assert.deepStrictEqual(actual, expected);
    } catch (e) {
        throw new Fail(what + ": got " + util.inspect(actual, { depth: 6, breakLength: Infinity }) +
            ", expected " + util.inspect(expected, { depth: 6, breakLength: Infinity }));
    }
}

function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

function withTimeout(promise, ms, what) {
    var timer;
    return Promise.race([
        Promise.resolve(promise),
        new Promise(function (_, reject) {
            timer = setTimeout(function () { reject(new Fail(what + " did not settle within " + ms + " ms")); }, ms);
        })
    ]).finally(function () { clearTimeout(timer); });
}

// Expect a call to REJECT; returns the rejection.
async function rejection(promise, what) {
    var value;
    try {
        value = await promise;
    } catch (e) {
        return e;
    }
    throw new Fail(what + " resolved but should have been rejected: " +
        util.inspect(value && value.response, { depth: 4, breakLength: Infinity }));
}

var RESULTS = {};
var PLANNED = [];

async function runChecks(checks) {
    PLANNED = checks.map(function (c) { return c[0]; });
    for (var k = 0; k < checks.length; k++) {
        var name = checks[k][0], fn = checks[k][1];
        var verdict;
        try {
            var detail = await withTimeout(fn(), CHECK_TIMEOUT_MS, name);
            verdict = { ok: true };
            if (detail !== undefined) verdict.detail = detail;
        } catch (e) {
            if (e instanceof Fail) {
                verdict = { ok: false, error: e.msg };
                if (e.detail !== undefined) verdict.detail = e.detail;
            } else {
                verdict = { ok: false, error: errMessage(e) };
                if (e && e.response) verdict.detail = errShape(e);
            }
        }
        RESULTS[name] = verdict;
    }
}

var COMMUNICATORS = [];
function newCommunicator() {
    var c = TarsRpc.Communicator.New();
    COMMUNICATORS.push(c);
    return c;
}

var finished = false;
function finish() {
    if (finished) return;
    finished = true;
    PLANNED.forEach(function (n) {
        if (!RESULTS[n]) RESULTS[n] = { ok: false, error: "not run: watchdog fired after " + WATCHDOG_MS + " ms" };
    });
    COMMUNICATORS.forEach(function (c) { try { c.destroy(); } catch (e) { /* ignore */ } });
    process.stdout.write(JSON.stringify(RESULTS, null, 2) + "\n", function () { process.exit(0); });
}

function parseObj(obj) {
    var at = obj.indexOf("@");
    var servant = obj.slice(0, at).trim();
    var endpoints = obj.slice(at + 1).trim().replace(/\s{2,}/g, " ");
    var ep = Endpoint.parse(endpoints.split(":")[0]);
    return { servant: servant, endpoints: endpoints, endpoint: ep };
}

// One request frame out, one reply frame (4-byte big-endian length incl.
// itself) back, over a fresh TCP connection.
function rawTcpCall(host, port, frame, timeoutMs) {
    return new Promise(function (resolve, reject) {
        var sock = net.connect(port, host);
        var chunks = [], total = 0, done = false;
        var end = function (err, buf) {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            if (err) reject(err); else resolve(buf);
        };
        var timer = setTimeout(function () { end(new Fail("no reply within " + timeoutMs + " ms")); }, timeoutMs);
        sock.on("connect", function () { sock.write(frame); });
        sock.on("data", function (d) {
            chunks.push(d);
            total += d.length;
            if (total >= 4) {
                var all = Buffer.concat(chunks, total);
                var len = all.readUInt32BE(0);
                if (len < 4) return end(new Fail("reply length prefix " + len + " < 4"));
                if (total >= len) end(null, all.slice(0, len));
            }
        });
        sock.on("error", function (e) { end(new Fail("socket error: " + e.message)); });
        sock.on("close", function () { end(new Fail("connection closed before a full reply (" + total + " bytes)")); });
    });
}

// ---------------------------------------------------------------------------
// suites
// ---------------------------------------------------------------------------
// test / testHello / 200 concurrent testHello on a Hello proxy. `wireVersion`
// (1, 2 or 3) is what every request must carry as RequestPacket.iVersion.
function helloChecks(prx, prefix, wireVersion) {
    var checkWire = function (r, what) {
        var w = wireOf(r.request);
        expect(w, what + ": the wire tap saw no request");
        expect(w.iVersion === wireVersion && w.cPacketType === 0,
            what + ": sent iVersion=" + w.iVersion + " cPacketType=" + w.cPacketType +
            ", expected iVersion=" + wireVersion + " cPacketType=0");
    };
    return [
        [prefix + "test", async function () {
            var r = await prx.test();
            checkWire(r, "test()");
            expect(r.response.return === 0, "test() returned " + r.response.return + ", expected 0");
        }],
        [prefix + "testHello", async function () {
            var r = await prx.testHello("hello tars");
            checkWire(r, "testHello()");
            expect(r.response.return === 0, "testHello() returned " + r.response.return + ", expected 0");
            expect(r.response.arguments.sRsp === "hello tars",
                "sRsp = " + JSON.stringify(r.response.arguments.sRsp) + ", expected \"hello tars\"");
        }],
        [prefix + "testHello_concurrent_200", async function () {
            var reqs = [];
            for (var n = 0; n < 200; n++) reqs.push("concurrent-" + n + "-" + "z".repeat(n % 17));
            var settled = await Promise.all(reqs.map(function (s) {
                return Promise.resolve(prx.testHello(s)).then(
                    function (r) { return { r: r }; },
                    function (e) { return { e: e }; });
            }));
            var bad = [];
            settled.forEach(function (x, n) {
                if (x.e) { bad.push(n + ": " + errMessage(x.e)); return; }
                var w = wireOf(x.r.request);
                if (!w || w.iVersion !== wireVersion) bad.push(n + ": wire iVersion " + (w && w.iVersion));
                else if (x.r.response.return !== 0) bad.push(n + ": returned " + x.r.response.return);
                else if (x.r.response.arguments.sRsp !== reqs[n]) {
                    bad.push(n + ": sRsp " + JSON.stringify(x.r.response.arguments.sRsp) + " != " + JSON.stringify(reqs[n]));
                }
            });
            expect(bad.length === 0, bad.length + "/200 calls wrong, first: " + bad.slice(0, 5).join("; "));
        }]
    ];
}

function suiteHello(obj) {
    var prx = newCommunicator().stringToProxy(TestApp.HelloProxy, obj);
    return helloChecks(prx, "", 1);
}

function suiteUdp(obj) {
    expect(/@\s*udp\s/i.test(obj), "the udp suite needs a `udp -h .. -p ..` endpoint");
    var prx = newCommunicator().stringToProxy(TestApp.HelloProxy, obj);
    return helloChecks(prx, "", 1);
}

function rawTupCheck(obj, version) {
    return async function () {
        var o = parseObj(obj);
        var req = new TarsStream.Tup();
        req.tupVersion = version;
        req.servantName = o.servant;
        req.funcName = "testHello";
        req.requestId = 4242 + version;
        req.writeString("sReq", "hello raw tup" + version);
        var frame = req.encode().toNodeBuffer();
        var reply = await rawTcpCall(o.endpoint.sHost, o.endpoint.iPort, frame, 5000);
        var rsp = new TarsStream.Tup();
        try {
            rsp.decode(new TarsStream.BinBuffer(reply));
        } catch (e) {
            throw new Fail("reply is not a TUP RequestPacket: " + e.message, { reply_hex: reply.toString("hex") });
        }
        var detail = {
            iVersion: rsp._iVersion, iRequestId: rsp._iRequestId,
            sServantName: rsp._sServantName, sFuncName: rsp._sFuncName,
            status: rsp._status.toObject()
        };
        expect(rsp._iVersion === version, "reply iVersion " + rsp._iVersion + ", expected " + version, detail);
        expect(rsp._iRequestId === req.requestId, "reply iRequestId " + rsp._iRequestId + ", expected " + req.requestId, detail);
        expect(rsp.getTarsResultCode() === 0, "STATUS_RESULT_CODE " + rsp.getTarsResultCode() +
            " (" + rsp.getTarsResultDesc() + ")", detail);
        var ret, sRsp;
        try {
            ret = rsp.readInt32("");      // no default: the "" key must be there
            sRsp = rsp.readString("sRsp");
        } catch (e) {
            throw new Fail("reading the reply attributes: " + e.message, detail);
        }
        expect(ret === 0, "return (key \"\") = " + ret + ", expected 0", detail);
        expect(sRsp === "hello raw tup" + version, "sRsp = " + JSON.stringify(sRsp), detail);
    };
}

function suiteTup(obj) {
    var checks = [];
    [3, 2].forEach(function (v) {
        // A communicator of its own: ObjectProxies are cached per obj-string,
        // and the version is a property of the ObjectProxy (and is read when
        // the connection is made), so TARS/TUP3/TUP2 must not share one.
        var prx = newCommunicator().stringToProxy(TestApp.HelloProxy, obj);
        prx.setVersion(v === 3 ? TarsStream.Tup.TUP_SIMPLE : TarsStream.Tup.TUP_COMPLEX);
        checks = checks.concat(helloChecks(prx, "tup" + v + "_", v));
        checks.push(["tup" + v + "_raw_testHello", rawTupCheck(obj, v)]);
    });
    return checks;
}

function suiteJson(obj) {
    return [["json_testHello", async function () {
        var o = parseObj(obj);
        var body = JSON.stringify({ sReq: "hello json" });
        var req = new TarsPacket.RequestPacket();
        req.iVersion = TarsStream.Tup.JSON_VERSION; // 5
        req.cPacketType = 0;
        req.iMessageType = 0;
        req.iRequestId = 5005;
        req.sServantName = o.servant;
        req.sFuncName = "testHello";
        req.sBuffer = new TarsStream.BinBuffer(Buffer.from(body, "utf8"));
        req.iTimeout = 3000;
        var os = new TarsStream.TarsOutputStream();
        os.setHeaderLength(0);
        req._writeTo(os);
        os.setHeaderLength(os.getBinBuffer().length);
        var frame = os.getBinBuffer().toNodeBuffer();

        var reply = await rawTcpCall(o.endpoint.sHost, o.endpoint.iPort, frame, 5000);
        var detail = { request_body: body, reply_hex: reply.toString("hex") };
        var payload = reply.slice(4), pkt, shape;
        try {
            pkt = TarsPacket.ResponsePacket._readFrom(new TarsStream.TarsInputStream(new TarsStream.BinBuffer(payload)));
            shape = "ResponsePacket";
        } catch (e1) {
            try {
                pkt = TarsPacket.RequestPacket._readFrom(new TarsStream.TarsInputStream(new TarsStream.BinBuffer(payload)));
                shape = "RequestPacket";
            } catch (e2) {
                throw new Fail("reply decodes neither as ResponsePacket (" + e1.message + ") nor as RequestPacket (" + e2.message + ")", detail);
            }
        }
        var text = pkt.sBuffer.toNodeBuffer().toString("utf8");
        detail.reply = {
            shape: shape,
            iVersion: pkt.iVersion,
            cPacketType: pkt.cPacketType,
            iRequestId: pkt.iRequestId,
            iMessageType: pkt.iMessageType,
            iRet: pkt.iRet,
            sResultDesc: pkt.sResultDesc,
            status: pkt.status && pkt.status.toObject ? pkt.status.toObject() : undefined,
            sBuffer: text
        };
        process.stderr.write("json reply: " + JSON.stringify(detail.reply) + "\n");
        expect(shape === "ResponsePacket", "reply is a " + shape + ", expected a ResponsePacket", detail);
        expect(pkt.iRequestId === req.iRequestId, "reply iRequestId " + pkt.iRequestId, detail);
        expect(pkt.iVersion === 5, "reply iVersion " + pkt.iVersion + ", expected 5", detail);
        expect(pkt.iRet === 0, "reply iRet " + pkt.iRet + " (" + pkt.sResultDesc + ")", detail);
        var json;
        try { json = JSON.parse(text); } catch (e) { throw new Fail("sBuffer is not JSON: " + e.message, detail); }
        expect(json && json.tars_ret === 0, "tars_ret = " + JSON.stringify(json && json.tars_ret) + ", expected 0", detail);
        expect(json.sRsp === "hello json", "sRsp = " + JSON.stringify(json.sRsp) + ", expected \"hello json\"", detail);
        return detail;
    }]];
}

function bytesOf(n) {
    var b = Buffer.alloc(n);
    for (var k = 0; k < n; k++) b[k] = (k * 7 + 3) % 256;
    return b;
}

function suiteEcho(obj) {
    var prx = newCommunicator().stringToProxy(Interop.EchoProxy, obj);
    var checks = [];

    checks.push(["scalars", async function () {
        // l is beyond 2^53: only the exact (decimal-string, --long-type=string)
        // int64 mode of @tars/stream carries it unchanged.
        var a = { b: true, y: -128, s: -32768, i: 2147483647, l: "-9007199254740993",
                  f: 1.5, d: -2.25, ub: 255, us: 65535, ui: 4294967295 };
        var r = await prx.scalars(a.b, a.y, a.s, a.i, a.l, a.f, a.d, a.ub, a.us, a.ui);
        var expected = (BigInt(a.y) + BigInt(a.s) + BigInt(a.i) + BigInt(a.l) +
                        BigInt(a.ub) + BigInt(a.us) + BigInt(a.ui)).toString();
        expect(r.response.return === 0, "returned " + r.response.return + ", expected 0");
        expect(String(r.response.arguments.sum) === expected,
            "sum = " + r.response.arguments.sum + ", expected " + expected);
        return { sent: a, sum: r.response.arguments.sum };
    }]);

    [["echoString_empty", ""], ["echoString_300x", "x".repeat(300)], ["echoString_utf8", "héllo 世界"]]
        .forEach(function (c) {
            checks.push([c[0], async function () {
                var r = await prx.echoString(c[1]);
                expect(r.response.return === c[1], "got " + JSON.stringify(r.response.return) +
                    ", expected " + JSON.stringify(c[1]));
            }]);
        });

    [["echoBytes_empty", 0], ["echoBytes_1000", 1000]].forEach(function (c) {
        checks.push([c[0], async function () {
            var data = bytesOf(c[1]);
            var r = await prx.echoBytes(new TarsStream.BinBuffer(data));
            var got = r.response.return.toNodeBuffer();
            expect(Buffer.compare(got, data) === 0, "got " + got.length + " bytes " +
                got.slice(0, 16).toString("hex") + "..., expected " + data.length + " bytes " +
                data.slice(0, 16).toString("hex") + "...");
        }]);
    });

    checks.push(["echoItem_full", async function () {
        var it = new Interop.Item();
        it.id = 2147483647;
        it.name = "full item ✓";
        it.data = new TarsStream.BinBuffer(Buffer.from([0, 1, 2, 127, 128, 255]));
        it.tags.insert("a", "1");
        it.tags.insert("k", "v");
        it.kind = Interop.Kind.KIND_A;
        var expected = it.toObject();
        var r = await prx.echoItem(it);
        expect(r.response.return instanceof Interop.Item, "return is not an Interop.Item");
        deepEq(r.response.return.toObject(), expected, "echoed Item");
    }]);

    checks.push(["echoItem_id_only", async function () {
        var it = new Interop.Item();
        it.id = 7;
        var r = await prx.echoItem(it);
        deepEq(r.response.return.toObject(),
            { id: 7, name: "", data: Buffer.alloc(0), tags: {}, kind: Interop.Kind.KIND_B }, "echoed Item");
    }]);

    checks.push(["collections", async function () {
        var items = TarsStream.List(Interop.Item);
        [[1, "a"], [2, "b"]].forEach(function (p) {
            var it = new Interop.Item();
            it.id = p[0];
            it.name = p[1];
            items.push(it);
        });
        var groups = TarsStream.Map(TarsStream.String, TarsStream.List(TarsStream.Int32));
        var g = TarsStream.List(TarsStream.Int32);
        g.push(1);
        g.push(2);
        groups.insert("g", g);
        var r = await prx.collections(items, groups);
        expect(r.response.return === 2, "returned " + r.response.return + ", expected 2");
        deepEq(r.response.arguments.ids.value, [1, 2], "ids");
        var names = {};
        r.response.arguments.names.forEach(function (k, v) { names[typeof k + ":" + k] = v; });
        deepEq(names, { "number:1": "a", "number:2": "b" }, "names");
    }]);

    [["echoKind_KIND_B", Interop.Kind.KIND_B], ["echoKind_undeclared_7", 7]].forEach(function (c) {
        checks.push([c[0], async function () {
            var r = await prx.echoKind(c[1]);
            expect(r.response.return === c[1], "got " + r.response.return + ", expected " + c[1]);
        }]);
    });

    checks.push(["note_oneway", async function () {
        // One-way = the property object {packetType: 1} as last argument.
        // @tars/rpc then sends cPacketType=1 and, once the request is written,
        // REJECTS the call with "one way call do not need response".
        var e = await rejection(prx.note("n-123", { packetType: 1 }), "one-way note()");
        var w = wireOf(e.request);
        var detail = { wire: w, rejection: errShape(e) };
        expect(w, "the wire tap saw no note request", detail);
        expect(w.cPacketType === 1 && w.sFuncName === "note",
            "sent cPacketType=" + w.cPacketType + " for " + w.sFuncName + ", expected 1", detail);
        expect(e.response && e.response.error && /one way call do not need response/.test(e.response.error.message),
            "unexpected rejection: " + errMessage(e), detail);
        return detail;
    }]);

    checks.push(["lastNote_after_oneway", async function () {
        var last;
        for (var attempt = 1; attempt <= 20; attempt++) {
            var r = await prx.lastNote();
            expect(r.response.return === 0, "lastNote() returned " + r.response.return);
            last = r.response.arguments.text;
            if (last === "n-123") return { attempts: attempt };
            await sleep(50);
        }
        throw new Fail("lastNote() text = " + JSON.stringify(last) + " after 20 tries, expected \"n-123\"");
    }]);

    checks.push(["nothing", async function () {
        var r = await prx.nothing();
        expect(r && r.response && r.response.return === undefined, "unexpected response " + util.inspect(r && r.response));
    }]);

    checks.push(["fail_custom", async function () {
        var e = await rejection(prx.fail(-77, "custom failure"), "fail(-77, ...)");
        var detail = errShape(e);
        expect(errCode(e) === -77, "code " + errCode(e) + ", expected -77", detail);
        expect(/custom failure/.test(e.response.error.message),
            "message " + JSON.stringify(e.response.error.message) + " lacks \"custom failure\"", detail);
        return detail;
    }]);

    checks.push(["slow_50", async function () {
        var r = await prx.slow(50);
        expect(r.response.return === 50, "returned " + r.response.return + ", expected 50");
    }]);

    checks.push(["slow_timeout", async function () {
        // Own communicator: the timeout lives on the (cached) ObjectProxy.
        var p2 = newCommunicator().stringToProxy(Interop.EchoProxy, obj);
        p2.setTimeout(300);
        // The same proxy must work for a fast call, so the timeout below is
        // the server being slow, not unreachable.
        var quick = await p2.slow(1);
        expect(quick.response.return === 1, "slow(1) with a 300 ms timeout returned " + quick.response.return);
        var t0 = Date.now();
        var e = await rejection(p2.slow(2000), "slow(2000) with a 300 ms timeout");
        var elapsed = Date.now() - t0;
        var detail = { elapsed_ms: elapsed, rejection: errShape(e) };
        // @tars/rpc reports a client-side timeout as TarsError.CLIENT.REQUEST_TIMEOUT
        // (-13001); TARS C++ uses -7 (TARSASYNCCALLTIMEOUT). Either is a timeout.
        var code = errCode(e);
        expect(code === TarsError.CLIENT.REQUEST_TIMEOUT || code === -7,
            "code " + code + ", expected a timeout (-13001 from @tars/rpc, or -7)", detail);
        expect(elapsed < 1500, "rejected after " + elapsed + " ms, expected about 300", detail);
        return detail;
    }]);

    return checks;
}

function suiteErrors(obj) {
    var o = parseObj(obj);
    var badObj = "TestApp.HelloServer.NoSuchObj@" + o.endpoints;
    var comm = newCommunicator();
    var observe = function (e) {
        var re = e && e.response && e.response.error;
        return { code: re ? re.code : undefined, sResultDesc: re ? re.message : undefined, rejection: errShape(e) };
    };
    return [
        ["unknown_servant", async function () {
            var prx = comm.stringToProxy(TestApp.HelloProxy, badObj);
            var e = await rejection(prx.test(), "test() on " + badObj);
            var d = observe(e);
            d.obj = badObj;
            expect(d.code === -4, "code " + d.code + " (" + JSON.stringify(d.sResultDesc) + "), expected -4 (SERVANTNOTFUNC)", d);
            return d;
        }],
        ["unknown_function", async function () {
            var prx = comm.stringToProxy(Interop.EchoProxy, obj);
            // What a proxy method for an operation the server lacks would do.
            var os = new TarsStream.TarsOutputStream();
            os.writeString(1, "x");
            var e = await rejection(prx._worker.tars_invoke("noSuchFunc", os.getBinBuffer(), undefined).then(
                function (data) { return data; },
                function (data) {
                    var err = new Error("Call Echo::noSuchFunc failed");
                    err.name = "RPC_ERROR";
                    err.request = data.request;
                    err.response = { costtime: data.request && data.request.costtime, error: data.error };
                    throw err;
                }), "noSuchFunc()");
            var d = observe(e);
            expect(d.code === -3, "code " + d.code + " (" + JSON.stringify(d.sResultDesc) + "), expected -3 (FUNCNOTFOUND)", d);
            return d;
        }]
    ];
}

var SUITES = {
    hello: suiteHello,
    udp: suiteUdp,
    tup: suiteTup,
    json: suiteJson,
    echo: suiteEcho,
    errors: suiteErrors
};

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------
function usage(msg) {
    if (msg) process.stderr.write("error: " + msg + "\n");
    process.stderr.write("usage: node rpc_client.js <" + Object.keys(SUITES).join("|") + "> <obj-string>\n" +
                         "  e.g. node rpc_client.js hello \"TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 12345 -t 3000\"\n");
    process.exit(2);
}

function main(argv) {
    if (argv.length !== 2) usage("expected exactly two arguments");
    var suite = SUITES[argv[0]];
    if (!suite) usage("unknown suite " + JSON.stringify(argv[0]));
    var obj = argv[1];
    if (!/^[^@\s]+@\s*(tcp|udp)\s.*-h\s+\S+.*-p\s+\d+/i.test(obj.trim())) {
        usage("bad obj-string " + JSON.stringify(obj) + " (want Name@tcp|udp -h HOST -p PORT [-t MS])");
    }

    setTimeout(finish, WATCHDOG_MS);
    var checks;
    try {
        checks = suite(obj);
    } catch (e) {
        if (e instanceof Fail) usage(e.msg);
        throw e;
    }
    runChecks(checks).then(finish, function (e) {
        RESULTS["<internal>"] = { ok: false, error: errMessage(e) };
        finish();
    });
}

main(process.argv.slice(2));
