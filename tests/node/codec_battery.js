#!/usr/bin/env node
// Node.js peer of the tars-rs codec conformance battery.
//
//   node codec_battery.js encode
//       Encodes every case of CASES with @tars/stream's TarsOutputStream and
//       prints {"<case>": "<lowercase hex>", ...} on stdout.
//
//   node codec_battery.js decode <path-to-json>
//       Reads {"<case>": "<hex>", ...} (produced by the Rust encoder), decodes
//       each case with @tars/stream's TarsInputStream using the same schema and
//       prints {"<case>": {"ok": true} | {"ok": false, "error": "..."}, ...}.
//       Exit code is 0 even when cases fail; only usage errors exit non-zero.
//
// The expected values live in ONE table (CASES) used by both modes.
// See README.md for the case list and the @tars/stream behaviours relied on.
"use strict";

var fs = require("fs");
var TarsStream = require("@tars/stream");

// ---------------------------------------------------------------------------
// IDL structs, written the way tars2node (JS target, --long-type=string)
// generates them:
//
//   module Conformance {
//     struct Tagged {
//       0   require int a;
//       14  require string b;
//       15  require long c;
//       200 require bool d;
//     };
//     struct Opt {
//       0 require  int id;
//       1 optional int count = 5;
//       2 optional string name = "dflt";
//       3 optional bool flag = true;
//       4 optional vector<int> items;
//       5 optional map<string, string> attrs;
//       6 optional Tagged inner;
//     };
//   };
//
// Like generated code, _writeTo writes EVERY field (tars2node never skips an
// optional field, whatever its value) and _readFrom passes the IDL default
// for absent optional fields.
// ---------------------------------------------------------------------------
var Conformance = {};

Conformance.Tagged = function () {
    this.a = 0;
    this.b = "";
    this.c = "0";
    this.d = false;
    this._classname = "Conformance.Tagged";
};
Conformance.Tagged._classname = "Conformance.Tagged";
Conformance.Tagged._write = function (os, tag, value) { os.writeStruct(tag, value); };
Conformance.Tagged._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Conformance.Tagged._readFrom = function (is) {
    var tmp = new Conformance.Tagged();
    tmp.a = is.readInt32(0, true, 0);
    tmp.b = is.readString(14, true, "");
    tmp.c = is.readInt64(15, true, "0", 1);
    tmp.d = is.readBoolean(200, true, false);
    return tmp;
};
Conformance.Tagged.prototype._writeTo = function (os) {
    os.writeInt32(0, this.a);
    os.writeString(14, this.b);
    os.writeInt64(15, this.c, 1);
    os.writeBoolean(200, this.d);
};
Conformance.Tagged.prototype._equal = function () {
    throw new Error("this structure not define key operation");
};
Conformance.Tagged.prototype._genKey = function () {
    if (!this._proto_struct_name_) {
        this._proto_struct_name_ = "STRUCT" + Math.random();
    }
    return this._proto_struct_name_;
};
Conformance.Tagged.new = function () { return new Conformance.Tagged(); };
Conformance.Tagged.create = function (is) { return Conformance.Tagged._readFrom(is); };

Conformance.Opt = function () {
    this.id = 0;
    this.count = 5;
    this.name = "dflt";
    this.flag = true;
    this.items = new TarsStream.List(TarsStream.Int32);
    this.attrs = new TarsStream.Map(TarsStream.String, TarsStream.String);
    this.inner = new Conformance.Tagged();
    this._classname = "Conformance.Opt";
};
Conformance.Opt._classname = "Conformance.Opt";
Conformance.Opt._write = function (os, tag, value) { os.writeStruct(tag, value); };
Conformance.Opt._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Conformance.Opt._readFrom = function (is) {
    var tmp = new Conformance.Opt();
    tmp.id = is.readInt32(0, true, 0);
    tmp.count = is.readInt32(1, false, 5);
    tmp.name = is.readString(2, false, "dflt");
    tmp.flag = is.readBoolean(3, false, true);
    tmp.items = is.readList(4, false, TarsStream.List(TarsStream.Int32));
    tmp.attrs = is.readMap(5, false, TarsStream.Map(TarsStream.String, TarsStream.String));
    tmp.inner = is.readStruct(6, false, Conformance.Tagged);
    return tmp;
};
Conformance.Opt.prototype._writeTo = function (os) {
    os.writeInt32(0, this.id);
    os.writeInt32(1, this.count);
    os.writeString(2, this.name);
    os.writeBoolean(3, this.flag);
    os.writeList(4, this.items);
    os.writeMap(5, this.attrs);
    os.writeStruct(6, this.inner);
};
Conformance.Opt.prototype._equal = Conformance.Tagged.prototype._equal;
Conformance.Opt.prototype._genKey = Conformance.Tagged.prototype._genKey;
Conformance.Opt.new = function () { return new Conformance.Opt(); };
Conformance.Opt.create = function (is) { return Conformance.Opt._readFrom(is); };

// Field descriptors used to convert between plain JS values (the table) and
// the stream objects, and to compare decoded values. Must match the classes.
var STRUCTS = {
    Tagged: {
        cls: Conformance.Tagged,
        fields: [
            { name: "a", type: "int32" },
            { name: "b", type: "string" },
            { name: "c", type: "int64" },
            { name: "d", type: "bool" }
        ]
    },
    Opt: {
        cls: Conformance.Opt,
        fields: [
            { name: "id", type: "int32" },
            { name: "count", type: "int32" },
            { name: "name", type: "string" },
            { name: "flag", type: "bool" },
            { name: "items", type: { list: "int32" } },
            { name: "attrs", type: { map: ["string", "string"] } },
            { name: "inner", type: { struct: "Tagged" } }
        ]
    }
};

// ---------------------------------------------------------------------------
// THE table. Value representation:
//   int8/16/32, uint8/16/32 : JS number
//   int64                   : decimal string (exact; @tars/stream "string mode")
//   float/double            : JS number (-0 is meaningful)
//   string                  : JS string (encoded as UTF-8)
//   bytes                   : Buffer (vector<byte>, SimpleList)
//   {list: T}               : array
//   {map: [K, V]}           : array of [key, value] pairs, in insertion order
//   {struct: Name}          : plain object with every field of the struct
// ---------------------------------------------------------------------------
function f(tag, type, value) { return { tag: tag, type: type, value: value }; }
function tagged(a, b, c, d) { return { a: a, b: b, c: c, d: d }; }
var TAGGED_ZERO = tagged(0, "", "0", false);
var TAGGED_FULL = tagged(7, "fourteen", "15", true);
function opt(id, count, name, flag, items, attrs, inner) {
    return { id: id, count: count, name: name, flag: flag, items: items, attrs: attrs, inner: inner };
}
function seqBytes(n) {
    var b = Buffer.alloc(n);
    for (var i = 0; i < n; i++) b[i] = i % 256;
    return b;
}

var CASES = {
    bool: [f(0, "bool", false), f(1, "bool", true)],
    int8: [-128, -1, 0, 1, 127].map(function (v, i) { return f(i, "int8", v); }),
    int16: [-32768, -129, -128, 127, 128, 32767, 0].map(function (v, i) { return f(i, "int16", v); }),
    int32: [-2147483648, -32769, -32768, 32767, 32768, 2147483647, 0].map(function (v, i) { return f(i, "int32", v); }),
    int64: ["-9223372036854775808", "-2147483649", "-2147483648", "2147483647", "2147483648",
            "9223372036854775807", "0"].map(function (v, i) { return f(i, "int64", v); }),
    uint8: [0, 127, 128, 255].map(function (v, i) { return f(i, "uint8", v); }),
    uint16: [0, 32767, 32768, 65535].map(function (v, i) { return f(i, "uint16", v); }),
    uint32: [0, 2147483647, 2147483648, 4294967295].map(function (v, i) { return f(i, "uint32", v); }),
    float: [0.0, -0.0, 1.5, -3.25, 3.4028234663852886e38].map(function (v, i) { return f(i, "float", v); }),
    double: [0.0, -0.0, 1.5, -1e300, 2.2250738585072014e-308].map(function (v, i) { return f(i, "double", v); }),
    string: [f(0, "string", ""), f(1, "string", "a".repeat(255)), f(2, "string", "b".repeat(256)),
             f(3, "string", "h\u00e9llo \u4e16\u754c")],
    list_int32: [f(0, { list: "int32" }, []), f(1, { list: "int32" }, [1, -1, 300, 70000])],
    list_string: [f(0, { list: "string" }, ["a", "", "xyz"])],
    list_list: [f(0, { list: { list: "int32" } }, [[1, 2], [], [3]])],
    map_empty: [f(0, { map: ["string", "int32"] }, [])],
    map_string_int: [f(0, { map: ["string", "int32"] }, [["k1", 1], ["k2", 2]])],
    map_nested: [f(0, { map: ["int32", { map: ["string", { list: "string" }] }] },
                   [[1, [["x", ["p", "q"]]]], [2, []]])],
    bytes: [f(0, "bytes", Buffer.alloc(0)), f(1, "bytes", Buffer.from([0, 1, 2, 255, 128])),
            f(2, "bytes", seqBytes(1000))],
    struct_tags: [f(0, { struct: "Tagged" }, TAGGED_FULL)],
    struct_tags_zero: [f(0, { struct: "Tagged" }, TAGGED_ZERO)],
    struct_optional_default: [f(0, { struct: "Opt" }, opt(1, 5, "dflt", true, [], [], TAGGED_ZERO))],
    struct_optional_set: [f(0, { struct: "Opt" }, opt(2, 9, "x", false, [1, 2, 3], [["a", "b"]], TAGGED_FULL))],
    struct_optional_mixed: [f(0, { struct: "Opt" }, opt(3, 5, "", true, [], [["k", "v"]], TAGGED_ZERO))],
    struct_in_list_and_map: [
        f(0, { list: { struct: "Tagged" } }, [tagged(1, "x", "2", true), TAGGED_ZERO]),
        f(1, { map: ["string", { struct: "Tagged" }] }, [["one", tagged(1, "one", "1", true)]])
    ]
};

// ---------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------
var SCALAR_PROTO = {
    bool: TarsStream.Boolean, int8: TarsStream.Int8, int16: TarsStream.Int16,
    int32: TarsStream.Int32, int64: TarsStream.Int64, uint8: TarsStream.UInt8,
    uint16: TarsStream.UInt16, uint32: TarsStream.UInt32, float: TarsStream.Float,
    double: TarsStream.Double, string: TarsStream.String, bytes: TarsStream.BinBuffer
};

function typeName(t) {
    if (typeof t === "string") return t;
    if (t.list) return "vector<" + typeName(t.list) + ">";
    if (t.map) return "map<" + typeName(t.map[0]) + "," + typeName(t.map[1]) + ">";
    return t.struct;
}

// The @tars/stream "proto" (type descriptor) used for list elements / map
// keys and values, and as the TYPE_T argument of readList/readMap/readStruct.
function protoOf(t) {
    if (typeof t === "string") {
        if (t === "int64") throw new Error("vector/map of int64 not used in this battery");
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
        v.forEach(function (kv) { m.insert(kv[0], toStream(t.map[1], kv[1])); });
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
        v.forEach(function (k, val) { out.push([k, fromStream(t.map[1], val)]); });
        return out;
    }
    var s = STRUCTS[t.struct];
    var o = {};
    s.fields.forEach(function (fd) { o[fd.name] = fromStream(fd.type, v[fd.name]); });
    return o;
}

function show(v) {
    if (Buffer.isBuffer(v)) return "bytes(" + v.length + "):" + v.toString("hex").slice(0, 64);
    if (Object.is(v, -0)) return "-0";
    try {
        return JSON.stringify(v, function (k, x) { return Object.is(x, -0) ? "-0" : x; });
    } catch (e) {
        return String(v);
    }
}

// Returns null when equal, otherwise a description of the first difference.
function compare(t, exp, got, path) {
    if (typeof t === "string") {
        switch (t) {
            case "int64": {
                var g;
                try { g = BigInt(String(got)); } catch (e) { return path + ": not an integer: " + show(got); }
                return g === BigInt(exp) ? null : path + ": expected " + exp + ", got " + String(got);
            }
            case "float":
            case "double":
                if (typeof got !== "number") return path + ": expected number, got " + show(got);
                return Object.is(exp, got) ? null : path + ": expected " + show(exp) + ", got " + show(got);
            case "bytes":
                if (!Buffer.isBuffer(got)) return path + ": expected bytes";
                if (exp.equals(got)) return null;
                return path + ": expected " + show(exp) + ", got " + show(got);
            default:
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
        // TARS maps are unordered: compare by key, not by position.
        if (got.length !== exp.length) {
            return path + ": expected " + exp.length + " entries, got " + got.length + " " + show(got);
        }
        for (var j = 0; j < exp.length; j++) {
            var key = exp[j][0];
            var hit = got.filter(function (kv) { return kv[0] === key; });
            if (hit.length !== 1) return path + ": key " + show(key) + " missing in " + show(got);
            var err = compare(t.map[1], exp[j][1], hit[0][1], path + "[" + show(key) + "]");
            if (err) return err;
        }
        return null;
    }
    var s = STRUCTS[t.struct];
    for (var n = 0; n < s.fields.length; n++) {
        var fd = s.fields[n];
        var er = compare(fd.type, exp[fd.name], got[fd.name], path + "." + fd.name);
        if (er) return er;
    }
    return null;
}

// ---------------------------------------------------------------------------
// Encode / decode one field with the type-specific @tars/stream calls
// ---------------------------------------------------------------------------
function writeField(os, fd) {
    var t = fd.type, tag = fd.tag, v = toStream(t, fd.value);
    if (typeof t === "string") {
        switch (t) {
            case "bool":   return os.writeBoolean(tag, v);
            case "int8":   return os.writeInt8(tag, v);
            case "int16":  return os.writeInt16(tag, v);
            case "int32":  return os.writeInt32(tag, v);
            case "int64":  return os.writeInt64(tag, v, 1); // string mode: exact 64-bit
            case "uint8":  return os.writeUInt8(tag, v);
            case "uint16": return os.writeUInt16(tag, v);
            case "uint32": return os.writeUInt32(tag, v);
            case "float":  return os.writeFloat(tag, v);
            case "double": return os.writeDouble(tag, v);
            case "string": return os.writeString(tag, v);
            case "bytes":  return os.writeBytes(tag, v);
        }
        throw new Error("unknown type " + t);
    }
    if (t.list) return os.writeList(tag, v);
    if (t.map) return os.writeMap(tag, v);
    return os.writeStruct(tag, v);
}

function readField(is, fd) {
    var t = fd.type, tag = fd.tag;
    if (typeof t === "string") {
        switch (t) {
            case "bool":   return is.readBoolean(tag, true, false);
            case "int8":   return is.readInt8(tag, true, 0);
            case "int16":  return is.readInt16(tag, true, 0);
            case "int32":  return is.readInt32(tag, true, 0);
            case "int64":  return is.readInt64(tag, true, "0", 1);
            case "uint8":  return is.readUInt8(tag, true, 0);
            case "uint16": return is.readUInt16(tag, true, 0);
            case "uint32": return is.readUInt32(tag, true, 0);
            case "float":  return is.readFloat(tag, true, 0);
            case "double": return is.readDouble(tag, true, 0);
            case "string": return is.readString(tag, true, "");
            case "bytes":  return is.readBytes(tag, true, TarsStream.BinBuffer);
        }
        throw new Error("unknown type " + t);
    }
    if (t.list) return is.readList(tag, true, protoOf(t));
    if (t.map) return is.readMap(tag, true, protoOf(t));
    return is.readStruct(tag, true, STRUCTS[t.struct].cls);
}

function encodeCase(fields) {
    var os = new TarsStream.TarsOutputStream();
    fields.forEach(function (fd) { writeField(os, fd); });
    return os.getBinBuffer().toNodeBuffer().toString("hex");
}

function errMessage(e) {
    if (e && e.message) return String(e.message);
    return String(e);
}

function decodeCase(fields, hex) {
    if (typeof hex !== "string") return "input is not a hex string";
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return "input is not valid hex";
    var buf = Buffer.from(hex, "hex");
    var is = new TarsStream.TarsInputStream(new TarsStream.BinBuffer(buf));
    for (var i = 0; i < fields.length; i++) {
        var fd = fields[i];
        var where = "tag " + fd.tag + " (" + typeName(fd.type) + ")";
        var wireType = null, got;
        try {
            if (is._skipToTag(fd.tag, true)) wireType = is._peekFrom().type;
            got = fromStream(fd.type, readField(is, fd));
        } catch (e) {
            return where + ": " + errMessage(e);
        }
        // @tars/stream writes -0.0 as ZeroTag (value == 0) and reads ZeroTag
        // back as +0: a ZeroTag cannot carry a sign. Accept +0 for an expected
        // -0 only when the wire really holds a ZeroTag (what Node itself emits).
        if ((fd.type === "float" || fd.type === "double") && Object.is(fd.value, -0) &&
            wireType === TarsStream.DataHelp.EN_ZERO && Object.is(got, 0)) {
            continue;
        }
        var err = compare(fd.type, fd.value, got, where);
        if (err) return err;
    }
    var pos = is._binBuffer._position, len = is._binBuffer._length;
    if (pos !== len) {
        return "trailing data: " + (len - pos) + " byte(s) after the last field (at offset " + pos + ")";
    }
    return null;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------
function usage(msg) {
    if (msg) process.stderr.write("error: " + msg + "\n");
    process.stderr.write("usage: node codec_battery.js encode\n" +
                         "       node codec_battery.js decode <path-to-json>\n");
    process.exit(2);
}

function main(argv) {
    var mode = argv[0];
    if (mode === "encode") {
        if (argv.length !== 1) usage("encode takes no argument");
        var out = {};
        Object.keys(CASES).forEach(function (name) { out[name] = encodeCase(CASES[name]); });
        process.stdout.write(JSON.stringify(out, null, 2) + "\n");
        return;
    }
    if (mode === "decode") {
        if (argv.length !== 2) usage("decode takes exactly one argument: the JSON file");
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
