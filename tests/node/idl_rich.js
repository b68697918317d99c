#!/usr/bin/env node
// Node.js peer of the tars-rs IDL conformance test for tests/idl/rich.tars
// (+ rich_common.tars).
//
//   node idl_rich.js encode
//       Encodes every case of CASES with @tars/stream's TarsOutputStream and
//       prints {"<case>": "<lowercase hex>", ...} on stdout.
//
//   node idl_rich.js decode <path-to-json>
//       Reads {"<case>": "<hex>", ...} (produced by the Rust encoder), decodes
//       each case with the struct classes below and prints
//       {"<case>": {"ok": true} | {"ok": false, "error": "..."}, ...}.
//       Exit code is 0 even when cases fail; only usage errors exit non-zero (2).
//
// Every case is ONE struct written with os.writeStruct(0, value), i.e. a
// StructBegin head at tag 0, the fields, and a StructEnd. The expected values
// live in ONE table (CASES) used by both modes. See README.md.
"use strict";

var assert = require("assert");
var fs = require("fs");
var TarsStream = require("@tars/stream");

// ---------------------------------------------------------------------------
// The IDL, written the way tars2node (JS target, --long-type=string) generates
// it from tests/idl/rich_common.tars and tests/idl/rich.tars. tars2node would
// put Common in rich_commonTars.js and require() it from richTars.js; here the
// three modules live in one file.
//
// What the generator does with this IDL (read from tars2node's
// src/gen_js.cpp, src/idl_util.cpp and its bundled tars.y):
//  * `unsigned byte` is parsed as an unsigned short, `unsigned short` as an
//    unsigned int, `unsigned int` as an unsigned long. Fields therefore use
//    writeUInt8/readUInt8 (int16 on the wire), writeUInt16/readUInt16 (int32)
//    and writeUInt32/readUInt32 (int64, number mode).
//  * `unsigned int` being a long, --long-type=string makes its default the
//    STRING "4000000000" and appends ", 1" to its read/write calls, but
//    readUInt32/writeUInt32 ignore that argument: a value read from the wire
//    is a JS number, an absent one is the default string.
//  * `vector<byte>` is a BinBuffer (writeBytes/readBytes, SIMPLELIST);
//    `vector<unsigned byte>` is NOT (its element is a short):
//    TarsStream.List(TarsStream.Int16), a LIST of int16 values.
//  * enums are int32 (writeInt32/readInt32); any int32 value is kept.
//  * `key[Point, x, y]` gives Point a real _equal (x and y); @tars/stream's
//    Map() then returns a MultiMap for map<Common::Point, ...>.
//  * _writeTo writes every field, optional or not; _readFrom passes the IDL
//    default for absent optional fields.
// ---------------------------------------------------------------------------
var Common = {};
var Rich = {};
var Other = {};

// ----- module Common (rich_common.tars) ------------------------------------
Common.Point = function () {
    this.x = 0;
    this.y = 0;
    this._classname = "Common.Point";
};
Common.Point._classname = "Common.Point";
Common.Point._write = function (os, tag, value) { os.writeStruct(tag, value); };
Common.Point._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Common.Point._readFrom = function (is) {
    var tmp = new Common.Point;
    tmp.x = is.readInt32(0, true, 0);
    tmp.y = is.readInt32(1, true, 0);
    return tmp;
};
Common.Point.prototype._writeTo = function (os) {
    os.writeInt32(0, this.x);
    os.writeInt32(1, this.y);
};
// key[Point, x, y];
Common.Point.prototype._equal = function (anItem) {
    return this.x === anItem.x &&
        this.y === anItem.y;
};
Common.Point.prototype._genKey = function () {
    if (!this._proto_struct_name_) {
        this._proto_struct_name_ = "STRUCT" + Math.random();
    }
    return this._proto_struct_name_;
};
Common.Point.new = function () { return new Common.Point(); };
Common.Point.create = function (is) { return Common.Point._readFrom(is); };

// ----- module Rich (rich.tars) ---------------------------------------------
// NOTE: for `ALIAS = GREEN` tars2node's enum generator does
// `nenum = TC_Common::strto<int>(member->def())` on the string "GREEN" and
// would print "ALIAS" : 0. The IDL (and TARS C++) mean 5; 5 is used here.
// No case uses ALIAS, so the bytes do not depend on it.
Rich.Color = {
    "RED" : 0,
    "GREEN" : 5,
    "BLUE" : 6,
    "ALIAS" : 5
};
Rich.Color._classname = "Rich.Color";
Rich.Color._write = function (os, tag, val) { return os.writeInt32(tag, val); };
Rich.Color._read  = function (is, tag, def) { return is.readInt32(tag, true, def); };

Rich.MAX_ITEMS = 100;
Rich.GREETING = "hi";
Rich.DEFAULT_COLOR = Rich.Color.BLUE;

Rich.Everything = function () {
    this.b = false;
    this.i8v = -3;
    this.i16v = 300;
    this.i32v = 0;
    this.i64v = "-1";
    this.u8v = 200;
    this.u16v = 0;
    this.u32v = "4000000000";
    this.f = 0.5;
    this.d = 0.0;
    this.s = "dflt";
    this.blob = new TarsStream.BinBuffer;
    this.ublob = new TarsStream.List(TarsStream.Int16);
    this.ints = new TarsStream.List(TarsStream.Int32);
    this.strs = new TarsStream.List(TarsStream.String);
    this.counts = new TarsStream.Map(TarsStream.String, TarsStream.Int32);
    this.nested = new TarsStream.Map(TarsStream.Int32, TarsStream.List(Common.Point));
    this.color = Rich.Color.BLUE;
    this.color2 = Rich.Color.RED;
    this.origin = new Common.Point;
    this.labels = new TarsStream.Map(Common.Point, TarsStream.String);
    this.deep = new TarsStream.List(TarsStream.Map(TarsStream.String, TarsStream.List(TarsStream.Int32)));
    this._classname = "Rich.Everything";
};
Rich.Everything._classname = "Rich.Everything";
Rich.Everything._write = function (os, tag, value) { os.writeStruct(tag, value); };
Rich.Everything._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Rich.Everything._readFrom = function (is) {
    var tmp = new Rich.Everything;
    tmp.b = is.readBoolean(0, true, false);
    tmp.i8v = is.readInt8(1, false, -3);
    tmp.i16v = is.readInt16(2, false, 300);
    tmp.i32v = is.readInt32(3, true, 0);
    tmp.i64v = is.readInt64(4, false, "-1", 1);
    tmp.u8v = is.readUInt8(5, false, 200);
    tmp.u16v = is.readUInt16(6, false, 0);
    tmp.u32v = is.readUInt32(7, false, "4000000000", 1);
    tmp.f = is.readFloat(8, false, 0.5);
    tmp.d = is.readDouble(9, false, 0.0);
    tmp.s = is.readString(14, false, "dflt");
    tmp.blob = is.readBytes(15, false, TarsStream.BinBuffer);
    tmp.ublob = is.readList(16, false, TarsStream.List(TarsStream.Int16));
    tmp.ints = is.readList(17, false, TarsStream.List(TarsStream.Int32));
    tmp.strs = is.readList(18, false, TarsStream.List(TarsStream.String));
    tmp.counts = is.readMap(19, false, TarsStream.Map(TarsStream.String, TarsStream.Int32));
    tmp.nested = is.readMap(20, false, TarsStream.Map(TarsStream.Int32, TarsStream.List(Common.Point)));
    tmp.color = is.readInt32(21, false, Rich.Color.BLUE);
    tmp.color2 = is.readInt32(22, false, Rich.Color.RED);
    tmp.origin = is.readStruct(100, true, Common.Point);
    tmp.labels = is.readMap(200, false, TarsStream.Map(Common.Point, TarsStream.String));
    tmp.deep = is.readList(255, false, TarsStream.List(TarsStream.Map(TarsStream.String, TarsStream.List(TarsStream.Int32))));
    return tmp;
};
Rich.Everything.prototype._writeTo = function (os) {
    os.writeBoolean(0, this.b);
    os.writeInt8(1, this.i8v);
    os.writeInt16(2, this.i16v);
    os.writeInt32(3, this.i32v);
    os.writeInt64(4, this.i64v, 1);
    os.writeUInt8(5, this.u8v);
    os.writeUInt16(6, this.u16v);
    os.writeUInt32(7, this.u32v, 1);
    os.writeFloat(8, this.f);
    os.writeDouble(9, this.d);
    os.writeString(14, this.s);
    os.writeBytes(15, this.blob);
    os.writeList(16, this.ublob);
    os.writeList(17, this.ints);
    os.writeList(18, this.strs);
    os.writeMap(19, this.counts);
    os.writeMap(20, this.nested);
    os.writeInt32(21, this.color);
    os.writeInt32(22, this.color2);
    os.writeStruct(100, this.origin);
    os.writeMap(200, this.labels);
    os.writeList(255, this.deep);
};
Rich.Everything.prototype._equal = function () {
    assert.fail("this structure not define key operation");
};
Rich.Everything.prototype._genKey = Common.Point.prototype._genKey;
Rich.Everything.new = function () { return new Rich.Everything(); };
Rich.Everything.create = function (is) { return Rich.Everything._readFrom(is); };

// ----- module Other (rich.tars) --------------------------------------------
Other.UsesRich = function () {
    this.e = new Rich.Everything;
    this.colors = new TarsStream.List(Rich.Color);
    this._classname = "Other.UsesRich";
};
Other.UsesRich._classname = "Other.UsesRich";
Other.UsesRich._write = function (os, tag, value) { os.writeStruct(tag, value); };
Other.UsesRich._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Other.UsesRich._readFrom = function (is) {
    var tmp = new Other.UsesRich;
    tmp.e = is.readStruct(0, true, Rich.Everything);
    tmp.colors = is.readList(1, false, TarsStream.List(Rich.Color));
    return tmp;
};
Other.UsesRich.prototype._writeTo = function (os) {
    os.writeStruct(0, this.e);
    os.writeList(1, this.colors);
};
Other.UsesRich.prototype._equal = function () {
    assert.fail("this structure not define key operation");
};
Other.UsesRich.prototype._genKey = Common.Point.prototype._genKey;
Other.UsesRich.new = function () { return new Other.UsesRich(); };
Other.UsesRich.create = function (is) { return Other.UsesRich._readFrom(is); };

// ---------------------------------------------------------------------------
// Field descriptors, used to convert between plain JS values (the table) and
// the stream objects and to compare decoded values. Must match the classes.
// Type names:
//   bool, int8, int16, int32, uint8, uint16, enum : JS number (bool: boolean)
//   int64, uint32 : exact integer, written as a decimal string in the table;
//                   decoded values may be a number or a string (see above)
//   float, double : JS number (Object.is)
//   string        : JS string (UTF-8 on the wire)
//   bytes         : Buffer (vector<byte>, BinBuffer)
//   {list: T}     : array
//   {map: [K, V]} : array of [key, value] pairs (insertion order; compared
//                   by key, keys compared with the same rules, so struct keys
//                   are matched by their fields)
//   {struct: N}   : plain object with every field of the struct
// ---------------------------------------------------------------------------
var POINT = { struct: "Point" };
var STRUCTS = {
    Point: {
        cls: Common.Point,
        fields: [
            { name: "x", type: "int32" },
            { name: "y", type: "int32" }
        ]
    },
    Everything: {
        cls: Rich.Everything,
        fields: [
            { name: "b", type: "bool" },
            { name: "i8v", type: "int8" },
            { name: "i16v", type: "int16" },
            { name: "i32v", type: "int32" },
            { name: "i64v", type: "int64" },
            { name: "u8v", type: "uint8" },
            { name: "u16v", type: "uint16" },
            { name: "u32v", type: "uint32" },
            { name: "f", type: "float" },
            { name: "d", type: "double" },
            { name: "s", type: "string" },
            { name: "blob", type: "bytes" },
            { name: "ublob", type: { list: "uint8" } },
            { name: "ints", type: { list: "int32" } },
            { name: "strs", type: { list: "string" } },
            { name: "counts", type: { map: ["string", "int32"] } },
            { name: "nested", type: { map: ["int32", { list: POINT }] } },
            { name: "color", type: "enum" },
            { name: "color2", type: "enum" },
            { name: "origin", type: POINT },
            { name: "labels", type: { map: [POINT, "string"] } },
            { name: "deep", type: { list: { map: ["string", { list: "int32" }] } } }
        ]
    },
    UsesRich: {
        cls: Other.UsesRich,
        fields: [
            { name: "e", type: { struct: "Everything" } },
            { name: "colors", type: { list: "enum" } }
        ]
    }
};

// ---------------------------------------------------------------------------
// THE table: one struct value per case, written at tag 0.
// ---------------------------------------------------------------------------
function pt(x, y) { return { x: x, y: y }; }

var EVERYTHING_DEFAULT = {
    b: false, i8v: -3, i16v: 300, i32v: 0, i64v: "-1",
    u8v: 200, u16v: 0, u32v: "4000000000", f: 0.5, d: 0, s: "dflt",
    blob: Buffer.alloc(0), ublob: [], ints: [], strs: [],
    counts: [], nested: [],
    color: Rich.Color.BLUE, color2: Rich.Color.RED,
    origin: pt(0, 0), labels: [], deep: []
};

var EVERYTHING_SET = {
    b: true, i8v: -128, i16v: -32768, i32v: 2147483647, i64v: "-9223372036854775808",
    u8v: 255, u16v: 65535, u32v: "4294967295", f: -1.5, d: 1e300, s: "h\u00e9llo",
    blob: Buffer.from([0, 1, 255]), ublob: [0, 128, 255], ints: [1, -1, 70000], strs: ["a", ""],
    counts: [["k", 7]],
    nested: [[1, [pt(1, 2), pt(3, 4)]], [2, []]],
    color: Rich.Color.RED,
    color2: 7, // not declared by Rich.Color: must survive
    origin: pt(-1, 1),
    labels: [[pt(1, 2), "a"]],
    deep: [[["x", [1, 2]]], []]
};

var CASES = {
    everything_default: { type: { struct: "Everything" }, value: EVERYTHING_DEFAULT },
    everything_set: { type: { struct: "Everything" }, value: EVERYTHING_SET },
    uses_rich: {
        type: { struct: "UsesRich" },
        value: { e: EVERYTHING_SET, colors: [Rich.Color.RED, Rich.Color.GREEN, 6, 42] }
    }
};

// ---------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------
// The @tars/stream "proto" tars2node would use for a list element or map
// key/value. (vector<unsigned byte> -> TarsStream.Int16, as generated; UInt8
// would write and read the same bytes: both go through writeInt16/readInt16.)
var SCALAR_PROTO = {
    bool: TarsStream.Boolean, int8: TarsStream.Int8, int16: TarsStream.Int16,
    int32: TarsStream.Int32, uint8: TarsStream.Int16, string: TarsStream.String,
    enum: Rich.Color
};

function typeName(t) {
    if (typeof t === "string") return t;
    if (t.list) return "vector<" + typeName(t.list) + ">";
    if (t.map) return "map<" + typeName(t.map[0]) + "," + typeName(t.map[1]) + ">";
    return t.struct;
}

function protoOf(t) {
    if (typeof t === "string") {
        if (!SCALAR_PROTO[t]) throw new Error("no list/map element proto for " + t + " in this IDL");
        return SCALAR_PROTO[t];
    }
    if (t.list) return TarsStream.List(protoOf(t.list));
    if (t.map) return TarsStream.Map(protoOf(t.map[0]), protoOf(t.map[1]));
    return STRUCTS[t.struct].cls;
}

// plain table value -> object that @tars/stream writes
function toStream(t, v) {
    if (typeof t === "string") {
        if (t === "bytes") return new TarsStream.BinBuffer(Buffer.from(v));
        return v;
    }
    if (t.list) {
        var l = TarsStream.List(protoOf(t.list));
        v.forEach(function (x) { l.push(toStream(t.list, x)); });
        return l;
    }
    if (t.map) {
        var m = TarsStream.Map(protoOf(t.map[0]), protoOf(t.map[1]));
        v.forEach(function (kv) { m.insert(toStream(t.map[0], kv[0]), toStream(t.map[1], kv[1])); });
        return m;
    }
    var s = STRUCTS[t.struct];
    var inst = new s.cls();
    s.fields.forEach(function (fd) { inst[fd.name] = toStream(fd.type, v[fd.name]); });
    return inst;
}

// object read by @tars/stream -> plain value (same representation as table)
function fromStream(t, v) {
    if (typeof t === "string") {
        if (t === "bytes") {
            if (!(v instanceof TarsStream.BinBuffer)) throw new Error("expected BinBuffer");
            return v.toNodeBuffer();
        }
        return v;
    }
    if (t.list) {
        return v.value.map(function (x) { return fromStream(t.list, x); });
    }
    if (t.map) {
        var out = [];
        v.forEach(function (k, val) { out.push([fromStream(t.map[0], k), fromStream(t.map[1], val)]); });
        return out;
    }
    var s = STRUCTS[t.struct];
    if (!(v instanceof s.cls)) throw new Error("expected " + s.cls._classname);
    var o = {};
    s.fields.forEach(function (fd) { o[fd.name] = fromStream(fd.type, v[fd.name]); });
    return o;
}

function show(v) {
    if (Buffer.isBuffer(v)) return "bytes(" + v.length + "):" + v.toString("hex").slice(0, 64);
    if (Object.is(v, -0)) return "-0";
    try {
        return JSON.stringify(v, function (k, x) {
            if (Object.is(x, -0)) return "-0";
            if (x && x.type === "Buffer" && Array.isArray(x.data)) return "bytes:" + Buffer.from(x.data).toString("hex");
            return x;
        });
    } catch (e) {
        return String(v);
    }
}

function exactInt(v) {
    if (typeof v === "number" && !Number.isSafeInteger(v)) return null;
    if (typeof v !== "number" && typeof v !== "string") return null;
    try { return BigInt(String(v)); } catch (e) { return null; }
}

var INT_RANGE = {
    int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
    uint8: [0, 255], uint16: [0, 65535], enum: [-2147483648, 2147483647]
};

// Returns null when equal, otherwise a description of the first difference.
function compare(t, exp, got, path) {
    if (typeof t === "string") {
        switch (t) {
            case "int64":
            case "uint32": {
                // Exact: string mode for int64; uint32 is read in number mode
                // (exact, < 2^53), absent ones get the default string.
                var g = exactInt(got);
                if (g === null) return path + ": not an exact integer: " + show(got);
                return g === BigInt(exp) ? null : path + ": expected " + exp + ", got " + String(got);
            }
            case "float":
            case "double":
                if (typeof got !== "number") return path + ": expected number, got " + show(got);
                return Object.is(exp, got) ? null : path + ": expected " + show(exp) + ", got " + show(got);
            case "bytes":
                if (!Buffer.isBuffer(got)) return path + ": expected bytes";
                return exp.equals(got) ? null : path + ": expected " + show(exp) + ", got " + show(got);
            case "bool":
            case "string":
                return exp === got ? null : path + ": expected " + show(exp) + ", got " + show(got);
            default:
                if (typeof got !== "number") return path + ": expected number, got " + show(got);
                return exp === got ? null : path + ": expected " + show(exp) + ", got " + show(got);
        }
    }
    if (t.list) {
        if (!Array.isArray(got)) return path + ": expected list";
        if (got.length !== exp.length) {
            return path + ": expected " + exp.length + " elements, got " + got.length + " " + show(got);
        }
        for (var i = 0; i < exp.length; i++) {
            var e = compare(t.list, exp[i], got[i], path + "[" + i + "]");
            if (e) return e;
        }
        return null;
    }
    if (t.map) {
        // TARS maps are unordered: compare by key, not by position. Keys are
        // matched with compare() too, so struct keys match by their fields.
        if (got.length !== exp.length) {
            return path + ": expected " + exp.length + " entries, got " + got.length + " " + show(got);
        }
        for (var j = 0; j < exp.length; j++) {
            var key = exp[j][0];
            var hit = got.filter(function (kv) { return compare(t.map[0], key, kv[0], "") === null; });
            if (hit.length !== 1) return path + ": key " + show(key) + " missing in " + show(got);
            var err = compare(t.map[1], exp[j][1], hit[0][1], path + "[" + show(key) + "]");
            if (err) return err;
        }
        return null;
    }
    var s = STRUCTS[t.struct];
    if (got === null || typeof got !== "object") return path + ": expected struct " + t.struct;
    for (var n = 0; n < s.fields.length; n++) {
        var fd = s.fields[n];
        var er = compare(fd.type, exp[fd.name], got[fd.name], path + "." + fd.name);
        if (er) return er;
    }
    return null;
}

// Checks table values against the IDL ranges, so that a typo in the table
// cannot silently be "fixed" by the stream (e.g. Buffer.writeInt8 throwing).
function checkRanges(t, v, path) {
    if (typeof t === "string") {
        var r = INT_RANGE[t];
        if (r && !(Number.isInteger(v) && v >= r[0] && v <= r[1])) throw new Error(path + ": out of range for " + t);
        if (t === "int64" || t === "uint32") {
            var b = BigInt(v);
            var lo = t === "int64" ? -(2n ** 63n) : 0n, hi = t === "int64" ? 2n ** 63n - 1n : 2n ** 32n - 1n;
            if (b < lo || b > hi) throw new Error(path + ": out of range for " + t);
        }
        return;
    }
    if (t.list) { v.forEach(function (x, i) { checkRanges(t.list, x, path + "[" + i + "]"); }); return; }
    if (t.map) {
        v.forEach(function (kv) { checkRanges(t.map[0], kv[0], path + "<key>"); checkRanges(t.map[1], kv[1], path + "[" + show(kv[0]) + "]"); });
        return;
    }
    STRUCTS[t.struct].fields.forEach(function (fd) { checkRanges(fd.type, v[fd.name], path + "." + fd.name); });
}

// Self-checks: the table is in range, and everything_default really is what
// the generated constructor holds (the IDL defaults).
function selfCheck() {
    Object.keys(CASES).forEach(function (name) { checkRanges(CASES[name].type, CASES[name].value, name); });
    var t = { struct: "Everything" };
    var err = compare(t, EVERYTHING_DEFAULT, fromStream(t, new Rich.Everything()), "new Rich.Everything()");
    if (err) throw new Error("self-check failed: " + err);
}

// ---------------------------------------------------------------------------
// Encode / decode one case
// ---------------------------------------------------------------------------
function encodeCase(c) {
    var os = new TarsStream.TarsOutputStream();
    os.writeStruct(0, toStream(c.type, c.value));
    return os.getBinBuffer().toNodeBuffer().toString("hex");
}

function errMessage(e) {
    if (e && e.message) return String(e.message);
    return String(e);
}

function decodeCase(c, hex) {
    if (typeof hex !== "string") return "input is not a hex string";
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return "input is not valid hex";
    var buf = Buffer.from(hex, "hex");
    var is = new TarsStream.TarsInputStream(new TarsStream.BinBuffer(buf));
    var got;
    try {
        got = fromStream(c.type, is.readStruct(0, true, STRUCTS[c.type.struct].cls));
    } catch (e) {
        return "tag 0 (" + typeName(c.type) + "): " + errMessage(e);
    }
    // No case holds -0.0, so Object.is needs no ZeroTag exception here.
    var err = compare(c.type, c.value, got, typeName(c.type));
    if (err) return err;
    var pos = is._binBuffer._position, len = is._binBuffer._length;
    if (pos !== len) {
        return "trailing data: " + (len - pos) + " byte(s) after the struct (at offset " + pos + ")";
    }
    return null;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------
function usage(msg) {
    if (msg) process.stderr.write("error: " + msg + "\n");
    process.stderr.write("usage: node idl_rich.js encode\n" +
                         "       node idl_rich.js decode <path-to-json>\n");
    process.exit(2);
}

function main(argv) {
    var mode = argv[0];
    if (mode === "encode") {
        if (argv.length !== 1) usage("encode takes no argument");
        selfCheck();
        var out = {};
        Object.keys(CASES).forEach(function (name) { out[name] = encodeCase(CASES[name]); });
        process.stdout.write(JSON.stringify(out, null, 2) + "\n");
        return;
    }
    if (mode === "decode") {
        if (argv.length !== 2) usage("decode takes exactly one argument: the JSON file");
        selfCheck();
        var input;
        try {
            input = JSON.parse(fs.readFileSync(argv[1], "utf8"));
        } catch (e) {
            usage("cannot read JSON from " + argv[1] + ": " + errMessage(e));
        }
        if (input === null || typeof input !== "object" || Array.isArray(input)) {
            usage("input must be a JSON object {\"case\": \"hex\", ...}");
        }
        var res = {};
        Object.keys(input).forEach(function (name) {
            if (!Object.prototype.hasOwnProperty.call(CASES, name)) {
                res[name] = { ok: false, error: "unknown case" };
                return;
            }
            var err;
            try {
                err = decodeCase(CASES[name], input[name]);
            } catch (e) {
                err = errMessage(e);
            }
            res[name] = err === null ? { ok: true } : { ok: false, error: err };
        });
        process.stdout.write(JSON.stringify(res, null, 2) + "\n");
        return;
    }
    usage(mode === undefined ? "missing mode" : "unknown mode " + JSON.stringify(mode));
}

main(process.argv.slice(2));
