#!/usr/bin/env node
// Mock TARS server for rpc_client.js, built on @tars/rpc's own server side.
// It lets every rpc_client.js suite be run end to end without the Rust
// server:
//
//   node mock_server.js <port> [host]
//
// listens on `tcp -h <host> -p <port>` AND `udp -h <host> -p <port>`
// (host defaults to 127.0.0.1), prints one JSON line
//   {"ready": true, "tcp": "tcp -h .. -p ..", "udp": "udp -h .. -p .."}
// on stdout once both sockets are bound, and runs until SIGINT/SIGTERM (or
// stdin closes when started with --exit-on-stdin-close).
// MOCK_VERBOSE=1 logs every request (servant, function, iVersion,
// cPacketType) on stderr.
//
// Servants: @tars/rpc binds ONE handler per endpoint and never looks at
// RequestPacket.sServantName. To serve both interfaces on one port (and to
// answer an unknown servant name with -4, as TARS C++ and tars-rs do) the
// endpoint's handler is the small router at the bottom, which picks by name:
//   "*.HelloObj" -> TestApp.Hello   (tests/idl/hello.tars)
//   "*.EchoObj"  -> Interop.Echo    (tests/idl/interop.tars)
//   anything else -> current.sendErrorResponse(-4, "...")
//
// The two servant classes are written by hand the way
// `tars2node --server --long-type=string` (src/gen_server.cpp) generates
// them: Imp.prototype.onDispatch -> Imp.prototype.__<func> decodes the
// arguments (TARS / TUP, and for Hello also the JSON protocol, iVersion 5,
// as newer tars2node emits), sets current.sendResponse = <func>$RE and calls
// Imp.prototype.<func>(current, args...). An unknown function makes
// onDispatch return TarsError.SERVER.FUNC_NOT_FOUND (-3), which @tars/rpc's
// BindAdapter answers with sendErrorResponse(-3, "") - i.e. an EMPTY
// sResultDesc, that is @tars/rpc's own behaviour.
//
// How an @tars/rpc servant returns an error code (used by Echo.fail):
//   current.sendErrorResponse(iRet, sResultDesc)   -> ResponsePacket.iRet/sResultDesc
// (alternatives: return a non-zero code from onDispatch -> sendErrorResponse(code, "");
//  throw an Error with .code -> sendErrorResponse(e.code, "BindAdapter Exception:" + e.message)).
"use strict";

var TarsStream = require("@tars/stream");
var TarsRpc    = require("@tars/rpc");
var TarsError  = TarsRpc.error;
var Interop    = require("./proxies/InteropProxy.js").Interop; // Kind + Item

var VERBOSE = process.env.MOCK_VERBOSE === "1";
function log(msg) { if (VERBOSE) process.stderr.write("[mock] " + msg + "\n"); }

function isTup(current) {
    var v = current.getRequestVersion();
    return v === TarsStream.Tup.TUP_SIMPLE || v === TarsStream.Tup.TUP_COMPLEX;
}
function isJson(current) {
    return current.getRequestVersion() === TarsStream.Tup.JSON_VERSION;
}

// ===========================================================================
// module TestApp { interface Hello { int test(); int testHello(string sReq, out string sRsp); }; };
// ===========================================================================
var TestApp = {};

TestApp.HelloImp = function () {
    this._name   = undefined;
    this._worker = undefined;
};

TestApp.HelloImp.prototype.initialize = function () {};

TestApp.HelloImp.prototype.onDispatch = function (current, funcName, binBuffer) {
    if ("__" + funcName in this) {
        return this["__" + funcName](current, binBuffer);
    } else {
        return TarsError.SERVER.FUNC_NOT_FOUND;
    }
};

var __TestApp_Hello$tars_ping$RE = function (_ret) {
    if (isTup(this)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = this.getRequestVersion();
        tup.writeInt32("", _ret);

        this.doResponse(tup.encode());
    } else {
        var os = new TarsStream.TarsOutputStream();
        os.writeInt32(0, _ret);

        this.doResponse(os.getBinBuffer());
    }
};

TestApp.HelloImp.prototype.__tars_ping = function (current) {
    __TestApp_Hello$tars_ping$RE.call(current, 0);

    return TarsError.SUCCESS;
};

// --- int test();
var __TestApp_Hello$test$RE = function (_ret) {
    if (isTup(this)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = this.getRequestVersion();
        tup.writeInt32("", _ret);

        this.doResponse(tup.encode());
    } else if (isJson(this)) {
        var _data_ = {};
        _data_["tars_ret"] = _ret;
        this.doResponse(new TarsStream.BinBuffer(Buffer.from(JSON.stringify(_data_))));
    } else {
        var os = new TarsStream.TarsOutputStream();
        os.writeInt32(0, _ret);

        this.doResponse(os.getBinBuffer());
    }
};

TestApp.HelloImp.prototype.__test = function (current) {
    current.sendResponse = __TestApp_Hello$test$RE;

    this.test(current);

    return TarsError.SUCCESS;
};

// --- int testHello(string sReq, out string sRsp);
var __TestApp_Hello$testHello$RE = function (_ret, sRsp) {
    if (isTup(this)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = this.getRequestVersion();
        tup.writeInt32("", _ret);
        tup.writeString("sRsp", sRsp);

        this.doResponse(tup.encode());
    } else if (isJson(this)) {
        var _data_ = {};
        _data_["tars_ret"] = _ret;
        _data_["sRsp"] = sRsp;
        this.doResponse(new TarsStream.BinBuffer(Buffer.from(JSON.stringify(_data_))));
    } else {
        var os = new TarsStream.TarsOutputStream();
        os.writeInt32(0, _ret);
        os.writeString(2, sRsp);

        this.doResponse(os.getBinBuffer());
    }
};

TestApp.HelloImp.prototype.__testHello = function (current, binBuffer) {
    var sReq = null;
    var sRsp = null;

    if (isTup(current)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = current.getRequestVersion();
        tup.decode(binBuffer);
        sReq = tup.readString("sReq");
        sRsp = tup.readString("sRsp", "");
    } else if (isJson(current)) {
        var _data_ = JSON.parse(binBuffer.toNodeBuffer().toString("utf8"));
        sReq = _data_.sReq;
        sRsp = _data_.sRsp || "";
    } else {
        var is = new TarsStream.TarsInputStream(binBuffer);
        sReq = is.readString(1, true, "");
        sRsp = is.readString(2, false, "");
    }

    current.sendResponse = __TestApp_Hello$testHello$RE;

    this.testHello(current, sReq, sRsp);

    return TarsError.SUCCESS;
};

// --- the implementation (what tars2node leaves to the developer in HelloImp.js)
TestApp.HelloImp.prototype.test = function (current) {
    current.sendResponse(0);
};
TestApp.HelloImp.prototype.testHello = function (current, sReq /*, sRsp */) {
    if (sReq === "__describe__") {
        // What this hop received, for the tracing tests: the request's timeout, message
        // type flags and status map, as JSON.
        var origin = current.getRequestPacket ? current.getRequestPacket() : current._origin;
        var status = {};
        var raw = origin && origin.status;
        if (raw && typeof raw.forEach === "function") {
            raw.forEach(function (k, v) { status[k] = v; });
        } else if (raw && raw.value) {
            Object.keys(raw.value).forEach(function (k) { status[k] = raw.value[k]; });
        }
        current.sendResponse(0, JSON.stringify({
            iTimeout: origin ? origin.iTimeout : null,
            iMessageType: origin ? origin.iMessageType : null,
            status: status
        }));
        return;
    }
    current.sendResponse(0, sReq);
};

// ===========================================================================
// module Interop { interface Echo { ... }; };  (tests/idl/interop.tars)
// ===========================================================================
Interop.EchoImp = function () {
    this._name   = undefined;
    this._worker = undefined;
};

Interop.EchoImp.prototype.initialize = function () {
    this._lastNote = "";
};

Interop.EchoImp.prototype.onDispatch = TestApp.HelloImp.prototype.onDispatch;
Interop.EchoImp.prototype.__tars_ping = TestApp.HelloImp.prototype.__tars_ping;

// Generic $RE builder: `fields` = [[tupWriter, name, tag, extra], ...] in the
// order tars2node emits them (return first as "" / tag 0, then out params).
function makeRE(fields) {
    return function () {
        var args = arguments;
        if (fields.length === 0) {
            this.doResponse(new TarsStream.BinBuffer());
            return;
        }
        if (isTup(this)) {
            var tup = new TarsStream.UniAttribute();
            tup.tupVersion = this.getRequestVersion();
            fields.forEach(function (f, k) { tup[f[0]](f[1], args[k], f[3]); });
            this.doResponse(tup.encode());
        } else {
            var os = new TarsStream.TarsOutputStream();
            fields.forEach(function (f, k) { os[f[0]](f[2], args[k], f[3]); });
            this.doResponse(os.getBinBuffer());
        }
    };
}

var __Interop_Echo$scalars$RE     = makeRE([["writeInt32", "", 0], ["writeInt64", "sum", 11, 1]]);
var __Interop_Echo$echoString$RE  = makeRE([["writeString", "", 0]]);
var __Interop_Echo$echoBytes$RE   = makeRE([["writeBytes", "", 0]]);
var __Interop_Echo$echoItem$RE    = makeRE([["writeStruct", "", 0]]);
var __Interop_Echo$collections$RE = makeRE([["writeInt32", "", 0], ["writeList", "ids", 3], ["writeMap", "names", 4]]);
var __Interop_Echo$echoKind$RE    = makeRE([["writeInt32", "", 0]]);
var __Interop_Echo$note$RE        = makeRE([]);
var __Interop_Echo$lastNote$RE    = makeRE([["writeInt32", "", 0], ["writeString", "text", 1]]);
var __Interop_Echo$slow$RE        = makeRE([["writeInt32", "", 0]]);
var __Interop_Echo$fail$RE        = makeRE([["writeInt32", "", 0]]);
var __Interop_Echo$nothing$RE     = makeRE([]);

// @tars/stream's List()/Map() return a fresh (empty) instance that doubles as
// the type descriptor for readList/readMap.
function IdsT()    { return TarsStream.List(TarsStream.Int32); }
function NamesT()  { return TarsStream.Map(TarsStream.Int32, TarsStream.String); }
function ItemsT()  { return TarsStream.List(Interop.Item); }
function GroupsT() { return TarsStream.Map(TarsStream.String, TarsStream.List(TarsStream.Int32)); }

// Argument decoding, TARS (tag = 1-based position) and TUP (by name).
function decodeArgs(current, binBuffer, spec) {
    var out = [];
    if (isTup(current)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = current.getRequestVersion();
        tup.decode(binBuffer);
        spec.forEach(function (p) {
            if (p.out) { out.push(p.tupOutDefault); return; }
            out.push(p.type ? tup[p.r](p.name, p.type) : tup[p.r](p.name, undefined, p.rep));
        });
    } else {
        var is = new TarsStream.TarsInputStream(binBuffer);
        spec.forEach(function (p, i) {
            if (p.type) out.push(is[p.r](i + 1, !p.out, p.type));
            else out.push(is[p.r](i + 1, !p.out, p.def, p.rep));
        });
    }
    return out;
}

function defineOp(name, RE, spec) {
    Interop.EchoImp.prototype["__" + name] = function (current, binBuffer) {
        var args = spec.length ? decodeArgs(current, binBuffer, spec) : [];
        current.sendResponse = RE;
        this[name].apply(this, [current].concat(args));
        return TarsError.SUCCESS;
    };
}

defineOp("scalars", __Interop_Echo$scalars$RE, [
    { name: "b",  r: "readBoolean", def: false },
    { name: "y",  r: "readInt8",    def: 0 },
    { name: "s",  r: "readInt16",   def: 0 },
    { name: "i",  r: "readInt32",   def: 0 },
    { name: "l",  r: "readInt64",   def: "0", rep: 1 },
    { name: "f",  r: "readFloat",   def: 0.0 },
    { name: "d",  r: "readDouble",  def: 0.0 },
    { name: "ub", r: "readUInt8",   def: 0 },
    { name: "us", r: "readUInt16",  def: 0 },
    { name: "ui", r: "readUInt32",  def: "0", rep: 1 },
    { name: "sum", r: "readInt64",  def: "0", rep: 1, out: true, tupOutDefault: "0" }
]);
defineOp("echoString", __Interop_Echo$echoString$RE, [{ name: "s", r: "readString", def: "" }]);
defineOp("echoBytes", __Interop_Echo$echoBytes$RE, [{ name: "data", r: "readBytes", type: TarsStream.BinBuffer }]);
defineOp("echoItem", __Interop_Echo$echoItem$RE, [{ name: "item", r: "readStruct", type: Interop.Item }]);
defineOp("collections", __Interop_Echo$collections$RE, [
    { name: "items",  r: "readList", type: ItemsT() },
    { name: "groups", r: "readMap",  type: GroupsT() },
    { name: "ids",    r: "readList", type: IdsT(),   out: true, tupOutDefault: IdsT() },
    { name: "names",  r: "readMap",  type: NamesT(), out: true, tupOutDefault: NamesT() }
]);
defineOp("echoKind", __Interop_Echo$echoKind$RE, [{ name: "k", r: "readInt32", def: Interop.Kind.KIND_A }]);
defineOp("note", __Interop_Echo$note$RE, [{ name: "text", r: "readString", def: "" }]);
defineOp("lastNote", __Interop_Echo$lastNote$RE, [{ name: "text", r: "readString", def: "", out: true, tupOutDefault: "" }]);
defineOp("slow", __Interop_Echo$slow$RE, [{ name: "ms", r: "readInt32", def: 0 }]);
defineOp("fail", __Interop_Echo$fail$RE, [
    { name: "code", r: "readInt32", def: 0 },
    { name: "message", r: "readString", def: "" }
]);
defineOp("nothing", __Interop_Echo$nothing$RE, []);

// --- the implementation (what tars2node leaves to the developer in EchoImp.js)
Interop.EchoImp.prototype.scalars = function (current, b, y, s, i, l, f, d, ub, us, ui) {
    var sum = BigInt(y) + BigInt(s) + BigInt(i) + BigInt(l) + BigInt(ub) + BigInt(us) + BigInt(ui);
    log("scalars b=" + b + " y=" + y + " s=" + s + " i=" + i + " l=" + l + " f=" + f + " d=" + d +
        " ub=" + ub + " us=" + us + " ui=" + ui + " -> sum=" + sum);
    current.sendResponse(0, sum.toString());
};
Interop.EchoImp.prototype.echoString = function (current, s) { current.sendResponse(s); };
Interop.EchoImp.prototype.echoBytes = function (current, data) { current.sendResponse(data); };
Interop.EchoImp.prototype.echoItem = function (current, item) { current.sendResponse(item); };
Interop.EchoImp.prototype.collections = function (current, items, groups) {
    var ids = IdsT();
    var names = NamesT();
    items.forEach(function (it) {
        ids.push(it.id);
        names.insert(it.id, it.name);
    });
    current.sendResponse(items.length, ids, names);
};
Interop.EchoImp.prototype.echoKind = function (current, k) { current.sendResponse(k); };
Interop.EchoImp.prototype.note = function (current, text) {
    log("note(" + JSON.stringify(text) + ") cPacketType=" + current.getRequest().cPacketType);
    this._lastNote = text;
    current.sendResponse(); // @tars/rpc drops the response itself when cPacketType == 1
};
Interop.EchoImp.prototype.lastNote = function (current) { current.sendResponse(0, this._lastNote); };
Interop.EchoImp.prototype.slow = function (current, ms) {
    setTimeout(function () { current.sendResponse(ms); }, ms);
};
Interop.EchoImp.prototype.fail = function (current, code, message) {
    current.sendErrorResponse(code, message);
};
Interop.EchoImp.prototype.nothing = function (current) { current.sendResponse(); };

// ===========================================================================
// Router: the one handler @tars/rpc binds to the endpoint.
// ===========================================================================
// Shared across the tcp and the udp endpoint, so that a one-way note() and
// the lastNote() that reads it back agree whatever transport each used.
var SERVANTS = null;
function servants() {
    if (!SERVANTS) {
        SERVANTS = { hello: new TestApp.HelloImp(), echo: new Interop.EchoImp() };
        SERVANTS.hello.initialize();
        SERVANTS.echo.initialize();
    }
    return SERVANTS;
}

var RouterImp = function () {};
RouterImp.prototype.initialize = function () { servants(); };
RouterImp.prototype.onDispatch = function (current, funcName, binBuffer) {
    var req = current.getRequest();
    var name = req.sServantName || "";
    log(name + "::" + funcName + " iVersion=" + req.iVersion + " cPacketType=" + req.cPacketType +
        " iRequestId=" + req.iRequestId);
    var imp = /\.HelloObj$/.test(name) ? servants().hello
            : /\.EchoObj$/.test(name) ? servants().echo
            : null;
    if (!imp) {
        current.sendErrorResponse(TarsError.SERVER.SERVANT_NOT_FOUND, "mock server: no servant named " + name);
        return TarsError.SUCCESS;
    }
    return imp.onDispatch(current, funcName, binBuffer);
};

// ===========================================================================
// CLI
// ===========================================================================
function usage(msg) {
    if (msg) process.stderr.write("error: " + msg + "\n");
    process.stderr.write("usage: node mock_server.js <port> [host] [--exit-on-stdin-close]\n");
    process.exit(2);
}

function main(argv) {
    var exitOnStdin = false;
    argv = argv.filter(function (a) {
        if (a === "--exit-on-stdin-close") { exitOnStdin = true; return false; }
        return true;
    });
    if (argv.length < 1 || argv.length > 2) usage("expected <port> [host]");
    var port = Number(argv[0]);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) usage("bad port " + JSON.stringify(argv[0]));
    var host = argv[1] || "127.0.0.1";

    var endpoints = {
        tcp: "tcp -h " + host + " -p " + port + " -t 60000",
        udp: "udp -h " + host + " -p " + port + " -t 60000"
    };
    var servers = [];
    var pending = 0;
    var ready = function () {
        if (--pending === 0) {
            process.stdout.write(JSON.stringify({ ready: true, tcp: endpoints.tcp, udp: endpoints.udp }) + "\n");
        }
    };
    Object.keys(endpoints).forEach(function (proto) {
        var svr = TarsRpc.server.createServer(RouterImp);
        svr.start({
            name: "Mock." + proto + "Adapter",
            servant: "Mock.Router." + proto,
            endpoint: endpoints[proto],
            protocol: "tars",
            maxconns: 10000
        });
        servers.push(svr);
        // Wait for the real bind through @tars/rpc internals (SimpleServer ->
        // HeroServer -> BindAdapter -> NetThread -> net.Server / dgram.Socket).
        pending++;
        var listener;
        try { listener = svr._server._adapters[0]._netthread._listener; } catch (e) { listener = null; }
        if (listener && typeof listener.once === "function") {
            listener.once("listening", ready);
            listener.once("error", function (e) {
                process.stderr.write("error: cannot listen on " + endpoints[proto] + ": " + e.message + "\n");
                process.exit(1);
            });
        } else {
            setTimeout(ready, 200);
        }
    });

    var stop = function () {
        servers.forEach(function (s) { try { s.stop(); } catch (e) { /* ignore */ } });
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (exitOnStdin) {
        process.stdin.on("end", stop);
        process.stdin.on("close", stop);
        process.stdin.resume();
    }
}

main(process.argv.slice(2));
