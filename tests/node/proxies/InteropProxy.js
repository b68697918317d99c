// **********************************************************************
// Client proxy for tests/idl/interop.tars, written BY HAND exactly as
//     tars2node --client --long-type=string interop.tars
// (tars2node 20190529 and later: src/gen_js.cpp for the enum and struct,
// src/gen_proxy.cpp for the proxy) would generate it for @tars/rpc 2.x.
// No tars2node binary is available here, so keep this file in step with
// interop.tars by hand.
//
// Generator facts this file follows (see also HelloProxy.js):
//  * enum Kind -> plain object of int32 values + _write/_read helpers; an
//    undeclared value (e.g. 7) passes through as a plain number;
//  * struct Item -> constructor with IDL defaults, _readFrom/_writeTo
//    (_writeTo writes EVERY field, optional or not), toObject,
//    readFromObject, toBinBuffer, new, create;
//  * `byte` -> Int8, `unsigned byte` -> UInt8 (int16 on the wire),
//    `unsigned short` -> UInt16 (int32), `unsigned int` -> UInt32 (int64,
//    number mode even though --long-type=string appends ", 1"),
//    `long` -> Int64 with ", 1" = decimal-string mode (exact over the whole
//    int64 range), `vector<byte>` -> TarsStream.BinBuffer;
//  * operations sorted by name; in params at tag = 1-based position, return
//    at tag 0, out params at their 1-based position;
//  * the last argument of a call is its property object, so a one-way call
//    is `prx.note(text, {packetType: 1})` (the IDL has no one-way marker).
// **********************************************************************

/* eslint-disable */

"use strict";

var assert    = require("assert");
var TarsStream = require("@tars/stream");
var TarsError  = require("@tars/rpc").error;

var _hasOwnProperty = Object.prototype.hasOwnProperty;
var _makeError = function (data, message, type) {
    var error = new Error(message || "");
    error.request = data.request;
    error.response = {
        "costtime" : data.request.costtime
    };
    if (type === TarsError.CLIENT.DECODE_ERROR) {
        error.name = "DECODE_ERROR";
        error.response.error = {
            "code" : type,
            "message" : message
        };
    } else {
        error.name = "RPC_ERROR";
        error.response.error = data.error;
    }
    return error;
};

var Interop = Interop || {};
module.exports.Interop = Interop;

Interop.EchoProxy = function () {
    this._name    = undefined;
    this._worker  = undefined;
};

Interop.EchoProxy.prototype.setTimeout = function (iTimeout) {
    this._worker.timeout = iTimeout;
};

Interop.EchoProxy.prototype.getTimeout = function () {
    return this._worker.timeout;
};

Interop.EchoProxy.prototype.setVersion = function (iVersion) {
    this._worker.version = iVersion;
};

Interop.EchoProxy.prototype.getVersion = function () {
    return this._worker.version;
};

Interop.Kind = {
    "KIND_A" : 0,
    "KIND_B" : 5
};
Interop.Kind._classname = "Interop.Kind";
Interop.Kind._write = function(os, tag, val) { return os.writeInt32(tag, val); };
Interop.Kind._read  = function(is, tag, def) { return is.readInt32(tag, true, def); };

Interop.Item = function() {
    this.id = 0;
    this.name = "";
    this.data = new TarsStream.BinBuffer;
    this.tags = new TarsStream.Map(TarsStream.String, TarsStream.String);
    this.kind = Interop.Kind.KIND_B;
    this._classname = "Interop.Item";
};
Interop.Item._classname = "Interop.Item";
Interop.Item._write = function (os, tag, value) { os.writeStruct(tag, value); };
Interop.Item._read  = function (is, tag, def) { return is.readStruct(tag, true, def); };
Interop.Item._readFrom = function (is) {
    var tmp = new Interop.Item;
    tmp.id = is.readInt32(0, true, 0);
    tmp.name = is.readString(1, false, "");
    tmp.data = is.readBytes(2, false, TarsStream.BinBuffer);
    tmp.tags = is.readMap(3, false, TarsStream.Map(TarsStream.String, TarsStream.String));
    tmp.kind = is.readInt32(4, false, Interop.Kind.KIND_B);
    return tmp;
};
Interop.Item.prototype._writeTo = function (os) {
    os.writeInt32(0, this.id);
    os.writeString(1, this.name);
    os.writeBytes(2, this.data);
    os.writeMap(3, this.tags);
    os.writeInt32(4, this.kind);
};
Interop.Item.prototype._equal = function () {
    assert.fail("this structure not define key operation");
};
Interop.Item.prototype._genKey = function () {
    if (!this._proto_struct_name_) {
        this._proto_struct_name_ = "STRUCT" + Math.random();
    }
    return this._proto_struct_name_;
};
Interop.Item.prototype.toObject = function() { 
    return {
        "id" : this.id,
        "name" : this.name,
        "data" : this.data.toObject(),
        "tags" : this.tags.toObject(),
        "kind" : this.kind
    };
};
Interop.Item.prototype.readFromObject = function(json) { 
    _hasOwnProperty.call(json, "id") && (this.id = json.id);
    _hasOwnProperty.call(json, "name") && (this.name = json.name);
    _hasOwnProperty.call(json, "data") && (this.data.readFromObject(json.data));
    _hasOwnProperty.call(json, "tags") && (this.tags.readFromObject(json.tags));
    _hasOwnProperty.call(json, "kind") && (this.kind = json.kind);
    return this;
};
Interop.Item.prototype.toBinBuffer = function () {
    var os = new TarsStream.TarsOutputStream();
    this._writeTo(os);
    return os.getBinBuffer();
};
Interop.Item.new = function () {
    return new Interop.Item();
};
Interop.Item.create = function (is) {
    return Interop.Item._readFrom(is);
};

var __Interop_Echo$collections$IF = {
    "name" : "collections",
    "return" : "int32",
    "arguments" : [{
        "name" : "items",
        "class" : "list(Interop.Item)",
        "direction" : "in"
    }, {
        "name" : "groups",
        "class" : "map(string, list(int32))",
        "direction" : "in"
    }, {
        "name" : "ids",
        "class" : "list(int32)",
        "direction" : "out"
    }, {
        "name" : "names",
        "class" : "map(int32, string)",
        "direction" : "out"
    }]
};

var __Interop_Echo$collections$IE = function (items, groups) {
    var os = new TarsStream.TarsOutputStream();
    os.writeList(1, items);
    os.writeMap(2, groups);
    return os.getBinBuffer();
};

var __Interop_Echo$collections$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0),
                "arguments" : {
                    "ids" : is.readList(3, true, TarsStream.List(TarsStream.Int32)),
                    "names" : is.readMap(4, true, TarsStream.Map(TarsStream.Int32, TarsStream.String))
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$collections$PE = function (items, groups, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeList("items", items);
    tup.writeMap("groups", groups);
    return tup;
};

var __Interop_Echo$collections$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0),
                "arguments" : {
                    "ids" : tup.readList("ids", TarsStream.List(TarsStream.Int32)),
                    "names" : tup.readMap("names", TarsStream.Map(TarsStream.Int32, TarsStream.String))
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$collections$ER = function (data) {
    throw _makeError(data, "Call Echo::collections failed");
};

Interop.EchoProxy.prototype.collections = function (items, groups) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("collections", __Interop_Echo$collections$PE(items, groups, version), arguments[arguments.length - 1], __Interop_Echo$collections$IF).then(__Interop_Echo$collections$PD, __Interop_Echo$collections$ER);
    } else {
        return this._worker.tars_invoke("collections", __Interop_Echo$collections$IE(items, groups), arguments[arguments.length - 1], __Interop_Echo$collections$IF).then(__Interop_Echo$collections$ID, __Interop_Echo$collections$ER);
    }
};
Interop.EchoProxy.collections = __Interop_Echo$collections$IF;

var __Interop_Echo$echoBytes$IF = {
    "name" : "echoBytes",
    "return" : "list(char)",
    "arguments" : [{
        "name" : "data",
        "class" : "list(char)",
        "direction" : "in"
    }]
};

var __Interop_Echo$echoBytes$IE = function (data) {
    var os = new TarsStream.TarsOutputStream();
    os.writeBytes(1, data);
    return os.getBinBuffer();
};

var __Interop_Echo$echoBytes$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readBytes(0, true, TarsStream.BinBuffer)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoBytes$PE = function (data, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeBytes("data", data);
    return tup;
};

var __Interop_Echo$echoBytes$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readBytes("", new TarsStream.BinBuffer)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoBytes$ER = function (data) {
    throw _makeError(data, "Call Echo::echoBytes failed");
};

Interop.EchoProxy.prototype.echoBytes = function (data) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("echoBytes", __Interop_Echo$echoBytes$PE(data, version), arguments[arguments.length - 1], __Interop_Echo$echoBytes$IF).then(__Interop_Echo$echoBytes$PD, __Interop_Echo$echoBytes$ER);
    } else {
        return this._worker.tars_invoke("echoBytes", __Interop_Echo$echoBytes$IE(data), arguments[arguments.length - 1], __Interop_Echo$echoBytes$IF).then(__Interop_Echo$echoBytes$ID, __Interop_Echo$echoBytes$ER);
    }
};
Interop.EchoProxy.echoBytes = __Interop_Echo$echoBytes$IF;

var __Interop_Echo$echoItem$IF = {
    "name" : "echoItem",
    "return" : "Interop.Item",
    "arguments" : [{
        "name" : "item",
        "class" : "Interop.Item",
        "direction" : "in"
    }]
};

var __Interop_Echo$echoItem$IE = function (item) {
    var os = new TarsStream.TarsOutputStream();
    os.writeStruct(1, item);
    return os.getBinBuffer();
};

var __Interop_Echo$echoItem$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readStruct(0, true, Interop.Item)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoItem$PE = function (item, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeStruct("item", item);
    return tup;
};

var __Interop_Echo$echoItem$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readStruct("", Interop.Item, new Interop.Item)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoItem$ER = function (data) {
    throw _makeError(data, "Call Echo::echoItem failed");
};

Interop.EchoProxy.prototype.echoItem = function (item) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("echoItem", __Interop_Echo$echoItem$PE(item, version), arguments[arguments.length - 1], __Interop_Echo$echoItem$IF).then(__Interop_Echo$echoItem$PD, __Interop_Echo$echoItem$ER);
    } else {
        return this._worker.tars_invoke("echoItem", __Interop_Echo$echoItem$IE(item), arguments[arguments.length - 1], __Interop_Echo$echoItem$IF).then(__Interop_Echo$echoItem$ID, __Interop_Echo$echoItem$ER);
    }
};
Interop.EchoProxy.echoItem = __Interop_Echo$echoItem$IF;

var __Interop_Echo$echoKind$IF = {
    "name" : "echoKind",
    "return" : "int32",
    "arguments" : [{
        "name" : "k",
        "class" : "int32",
        "direction" : "in"
    }]
};

var __Interop_Echo$echoKind$IE = function (k) {
    var os = new TarsStream.TarsOutputStream();
    os.writeInt32(1, k);
    return os.getBinBuffer();
};

var __Interop_Echo$echoKind$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, Interop.Kind.KIND_A)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoKind$PE = function (k, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeInt32("k", k);
    return tup;
};

var __Interop_Echo$echoKind$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", Interop.Kind.KIND_A)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoKind$ER = function (data) {
    throw _makeError(data, "Call Echo::echoKind failed");
};

Interop.EchoProxy.prototype.echoKind = function (k) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("echoKind", __Interop_Echo$echoKind$PE(k, version), arguments[arguments.length - 1], __Interop_Echo$echoKind$IF).then(__Interop_Echo$echoKind$PD, __Interop_Echo$echoKind$ER);
    } else {
        return this._worker.tars_invoke("echoKind", __Interop_Echo$echoKind$IE(k), arguments[arguments.length - 1], __Interop_Echo$echoKind$IF).then(__Interop_Echo$echoKind$ID, __Interop_Echo$echoKind$ER);
    }
};
Interop.EchoProxy.echoKind = __Interop_Echo$echoKind$IF;

var __Interop_Echo$echoString$IF = {
    "name" : "echoString",
    "return" : "string",
    "arguments" : [{
        "name" : "s",
        "class" : "string",
        "direction" : "in"
    }]
};

var __Interop_Echo$echoString$IE = function (s) {
    var os = new TarsStream.TarsOutputStream();
    os.writeString(1, s);
    return os.getBinBuffer();
};

var __Interop_Echo$echoString$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readString(0, true, "")
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoString$PE = function (s, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeString("s", s);
    return tup;
};

var __Interop_Echo$echoString$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readString("", "")
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$echoString$ER = function (data) {
    throw _makeError(data, "Call Echo::echoString failed");
};

Interop.EchoProxy.prototype.echoString = function (s) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("echoString", __Interop_Echo$echoString$PE(s, version), arguments[arguments.length - 1], __Interop_Echo$echoString$IF).then(__Interop_Echo$echoString$PD, __Interop_Echo$echoString$ER);
    } else {
        return this._worker.tars_invoke("echoString", __Interop_Echo$echoString$IE(s), arguments[arguments.length - 1], __Interop_Echo$echoString$IF).then(__Interop_Echo$echoString$ID, __Interop_Echo$echoString$ER);
    }
};
Interop.EchoProxy.echoString = __Interop_Echo$echoString$IF;

var __Interop_Echo$fail$IF = {
    "name" : "fail",
    "return" : "int32",
    "arguments" : [{
        "name" : "code",
        "class" : "int32",
        "direction" : "in"
    }, {
        "name" : "message",
        "class" : "string",
        "direction" : "in"
    }]
};

var __Interop_Echo$fail$IE = function (code, message) {
    var os = new TarsStream.TarsOutputStream();
    os.writeInt32(1, code);
    os.writeString(2, message);
    return os.getBinBuffer();
};

var __Interop_Echo$fail$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$fail$PE = function (code, message, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeInt32("code", code);
    tup.writeString("message", message);
    return tup;
};

var __Interop_Echo$fail$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$fail$ER = function (data) {
    throw _makeError(data, "Call Echo::fail failed");
};

Interop.EchoProxy.prototype.fail = function (code, message) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("fail", __Interop_Echo$fail$PE(code, message, version), arguments[arguments.length - 1], __Interop_Echo$fail$IF).then(__Interop_Echo$fail$PD, __Interop_Echo$fail$ER);
    } else {
        return this._worker.tars_invoke("fail", __Interop_Echo$fail$IE(code, message), arguments[arguments.length - 1], __Interop_Echo$fail$IF).then(__Interop_Echo$fail$ID, __Interop_Echo$fail$ER);
    }
};
Interop.EchoProxy.fail = __Interop_Echo$fail$IF;

var __Interop_Echo$lastNote$IF = {
    "name" : "lastNote",
    "return" : "int32",
    "arguments" : [{
        "name" : "text",
        "class" : "string",
        "direction" : "out"
    }]
};

var __Interop_Echo$lastNote$IE = function () {
    var os = new TarsStream.TarsOutputStream();
    return os.getBinBuffer();
};

var __Interop_Echo$lastNote$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0),
                "arguments" : {
                    "text" : is.readString(1, true, "")
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$lastNote$PE = function (__$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    return tup;
};

var __Interop_Echo$lastNote$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0),
                "arguments" : {
                    "text" : tup.readString("text")
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$lastNote$ER = function (data) {
    throw _makeError(data, "Call Echo::lastNote failed");
};

Interop.EchoProxy.prototype.lastNote = function () {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("lastNote", __Interop_Echo$lastNote$PE(version), arguments[arguments.length - 1], __Interop_Echo$lastNote$IF).then(__Interop_Echo$lastNote$PD, __Interop_Echo$lastNote$ER);
    } else {
        return this._worker.tars_invoke("lastNote", __Interop_Echo$lastNote$IE(), arguments[arguments.length - 1], __Interop_Echo$lastNote$IF).then(__Interop_Echo$lastNote$ID, __Interop_Echo$lastNote$ER);
    }
};
Interop.EchoProxy.lastNote = __Interop_Echo$lastNote$IF;

var __Interop_Echo$note$IF = {
    "name" : "note",
    "return" : "void",
    "arguments" : [{
        "name" : "text",
        "class" : "string",
        "direction" : "in"
    }]
};

var __Interop_Echo$note$IE = function (text) {
    var os = new TarsStream.TarsOutputStream();
    os.writeString(1, text);
    return os.getBinBuffer();
};

var __Interop_Echo$note$ID = function (data) {
    try {
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$note$PE = function (text, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeString("text", text);
    return tup;
};

var __Interop_Echo$note$PD = function (data) {
    try {
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$note$ER = function (data) {
    throw _makeError(data, "Call Echo::note failed");
};

Interop.EchoProxy.prototype.note = function (text) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("note", __Interop_Echo$note$PE(text, version), arguments[arguments.length - 1], __Interop_Echo$note$IF).then(__Interop_Echo$note$PD, __Interop_Echo$note$ER);
    } else {
        return this._worker.tars_invoke("note", __Interop_Echo$note$IE(text), arguments[arguments.length - 1], __Interop_Echo$note$IF).then(__Interop_Echo$note$ID, __Interop_Echo$note$ER);
    }
};
Interop.EchoProxy.note = __Interop_Echo$note$IF;

var __Interop_Echo$nothing$IF = {
    "name" : "nothing",
    "return" : "void",
    "arguments" : []
};

var __Interop_Echo$nothing$IE = function () {
    var os = new TarsStream.TarsOutputStream();
    return os.getBinBuffer();
};

var __Interop_Echo$nothing$ID = function (data) {
    try {
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$nothing$PE = function (__$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    return tup;
};

var __Interop_Echo$nothing$PD = function (data) {
    try {
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$nothing$ER = function (data) {
    throw _makeError(data, "Call Echo::nothing failed");
};

Interop.EchoProxy.prototype.nothing = function () {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("nothing", __Interop_Echo$nothing$PE(version), arguments[arguments.length - 1], __Interop_Echo$nothing$IF).then(__Interop_Echo$nothing$PD, __Interop_Echo$nothing$ER);
    } else {
        return this._worker.tars_invoke("nothing", __Interop_Echo$nothing$IE(), arguments[arguments.length - 1], __Interop_Echo$nothing$IF).then(__Interop_Echo$nothing$ID, __Interop_Echo$nothing$ER);
    }
};
Interop.EchoProxy.nothing = __Interop_Echo$nothing$IF;

var __Interop_Echo$scalars$IF = {
    "name" : "scalars",
    "return" : "int32",
    "arguments" : [{
        "name" : "b",
        "class" : "bool",
        "direction" : "in"
    }, {
        "name" : "y",
        "class" : "char",
        "direction" : "in"
    }, {
        "name" : "s",
        "class" : "short",
        "direction" : "in"
    }, {
        "name" : "i",
        "class" : "int32",
        "direction" : "in"
    }, {
        "name" : "l",
        "class" : "int64",
        "direction" : "in"
    }, {
        "name" : "f",
        "class" : "float",
        "direction" : "in"
    }, {
        "name" : "d",
        "class" : "double",
        "direction" : "in"
    }, {
        "name" : "ub",
        "class" : "short",
        "direction" : "in"
    }, {
        "name" : "us",
        "class" : "int32",
        "direction" : "in"
    }, {
        "name" : "ui",
        "class" : "int64",
        "direction" : "in"
    }, {
        "name" : "sum",
        "class" : "int64",
        "direction" : "out"
    }]
};

var __Interop_Echo$scalars$IE = function (b, y, s, i, l, f, d, ub, us, ui) {
    var os = new TarsStream.TarsOutputStream();
    os.writeBoolean(1, b);
    os.writeInt8(2, y);
    os.writeInt16(3, s);
    os.writeInt32(4, i);
    os.writeInt64(5, l, 1);
    os.writeFloat(6, f);
    os.writeDouble(7, d);
    os.writeUInt8(8, ub);
    os.writeUInt16(9, us);
    os.writeUInt32(10, ui, 1);
    return os.getBinBuffer();
};

var __Interop_Echo$scalars$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0),
                "arguments" : {
                    "sum" : is.readInt64(11, true, "0", 1)
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$scalars$PE = function (b, y, s, i, l, f, d, ub, us, ui, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeBoolean("b", b);
    tup.writeInt8("y", y);
    tup.writeInt16("s", s);
    tup.writeInt32("i", i);
    tup.writeInt64("l", l, 1);
    tup.writeFloat("f", f);
    tup.writeDouble("d", d);
    tup.writeUInt8("ub", ub);
    tup.writeUInt16("us", us);
    tup.writeUInt32("ui", ui, 1);
    return tup;
};

var __Interop_Echo$scalars$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0),
                "arguments" : {
                    "sum" : tup.readInt64("sum")
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$scalars$ER = function (data) {
    throw _makeError(data, "Call Echo::scalars failed");
};

Interop.EchoProxy.prototype.scalars = function (b, y, s, i, l, f, d, ub, us, ui) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("scalars", __Interop_Echo$scalars$PE(b, y, s, i, l, f, d, ub, us, ui, version), arguments[arguments.length - 1], __Interop_Echo$scalars$IF).then(__Interop_Echo$scalars$PD, __Interop_Echo$scalars$ER);
    } else {
        return this._worker.tars_invoke("scalars", __Interop_Echo$scalars$IE(b, y, s, i, l, f, d, ub, us, ui), arguments[arguments.length - 1], __Interop_Echo$scalars$IF).then(__Interop_Echo$scalars$ID, __Interop_Echo$scalars$ER);
    }
};
Interop.EchoProxy.scalars = __Interop_Echo$scalars$IF;

var __Interop_Echo$slow$IF = {
    "name" : "slow",
    "return" : "int32",
    "arguments" : [{
        "name" : "ms",
        "class" : "int32",
        "direction" : "in"
    }]
};

var __Interop_Echo$slow$IE = function (ms) {
    var os = new TarsStream.TarsOutputStream();
    os.writeInt32(1, ms);
    return os.getBinBuffer();
};

var __Interop_Echo$slow$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$slow$PE = function (ms, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeInt32("ms", ms);
    return tup;
};

var __Interop_Echo$slow$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0)
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __Interop_Echo$slow$ER = function (data) {
    throw _makeError(data, "Call Echo::slow failed");
};

Interop.EchoProxy.prototype.slow = function (ms) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("slow", __Interop_Echo$slow$PE(ms, version), arguments[arguments.length - 1], __Interop_Echo$slow$IF).then(__Interop_Echo$slow$PD, __Interop_Echo$slow$ER);
    } else {
        return this._worker.tars_invoke("slow", __Interop_Echo$slow$IE(ms), arguments[arguments.length - 1], __Interop_Echo$slow$IF).then(__Interop_Echo$slow$ID, __Interop_Echo$slow$ER);
    }
};
Interop.EchoProxy.slow = __Interop_Echo$slow$IF;

