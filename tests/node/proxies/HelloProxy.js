// **********************************************************************
// Client proxy for tests/idl/hello.tars, written BY HAND exactly as
//     tars2node --client --long-type=string hello.tars
// (tars2node 20190529 and later, src/gen_proxy.cpp) would generate it for
// @tars/rpc 2.x. No tars2node binary is available here, so keep this file in
// step with hello.tars by hand.
//
//   module TestApp {
//     interface Hello {
//       int test();
//       int testHello(string sReq, out string sRsp);
//     };
//   };
//
// Generator facts this file follows:
//  * the proxy class is TestApp.HelloProxy with setTimeout/getTimeout/
//    setVersion/getVersion (setVersion(3) or (2) switches every call to TUP);
//  * operations are emitted sorted by name, each with $IF (metadata),
//    $IE/$ID (TARS encoder/decoder), $PE/$PD (TUP encoder/decoder) and $ER;
//  * in parameters are written at tag = 1-based position in the parameter
//    list, the return value is read at tag 0 and each out parameter at its
//    1-based position (sRsp = tag 2);
//  * the LAST argument of every call is handed to tars_invoke/tup_invoke as
//    the call's property object ({packetType: 1} = one-way, context, ...).
// **********************************************************************

/* eslint-disable */

"use strict";

var TarsStream = require("@tars/stream");
var TarsError  = require("@tars/rpc").error;

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

var TestApp = TestApp || {};
module.exports.TestApp = TestApp;

TestApp.HelloProxy = function () {
    this._name    = undefined;
    this._worker  = undefined;
};

TestApp.HelloProxy.prototype.setTimeout = function (iTimeout) {
    this._worker.timeout = iTimeout;
};

TestApp.HelloProxy.prototype.getTimeout = function () {
    return this._worker.timeout;
};

TestApp.HelloProxy.prototype.setVersion = function (iVersion) {
    this._worker.version = iVersion;
};

TestApp.HelloProxy.prototype.getVersion = function () {
    return this._worker.version;
};

var __TestApp_Hello$test$IF = {
    "name" : "test",
    "return" : "int32",
    "arguments" : []
};

var __TestApp_Hello$test$IE = function () {
    var os = new TarsStream.TarsOutputStream();
    return os.getBinBuffer();
};

var __TestApp_Hello$test$ID = function (data) {
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

var __TestApp_Hello$test$PE = function (__$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    return tup;
};

var __TestApp_Hello$test$PD = function (data) {
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

var __TestApp_Hello$test$ER = function (data) {
    throw _makeError(data, "Call Hello::test failed");
};

TestApp.HelloProxy.prototype.test = function () {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("test", __TestApp_Hello$test$PE(version), arguments[arguments.length - 1], __TestApp_Hello$test$IF).then(__TestApp_Hello$test$PD, __TestApp_Hello$test$ER);
    } else {
        return this._worker.tars_invoke("test", __TestApp_Hello$test$IE(), arguments[arguments.length - 1], __TestApp_Hello$test$IF).then(__TestApp_Hello$test$ID, __TestApp_Hello$test$ER);
    }
};
TestApp.HelloProxy.test = __TestApp_Hello$test$IF;

var __TestApp_Hello$testHello$IF = {
    "name" : "testHello",
    "return" : "int32",
    "arguments" : [{
        "name" : "sReq",
        "class" : "string",
        "direction" : "in"
    }, {
        "name" : "sRsp",
        "class" : "string",
        "direction" : "out"
    }]
};

var __TestApp_Hello$testHello$IE = function (sReq) {
    var os = new TarsStream.TarsOutputStream();
    os.writeString(1, sReq);
    return os.getBinBuffer();
};

var __TestApp_Hello$testHello$ID = function (data) {
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : is.readInt32(0, true, 0),
                "arguments" : {
                    "sRsp" : is.readString(2, true, "")
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __TestApp_Hello$testHello$PE = function (sReq, __$PROTOCOL$VERSION) {
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeString("sReq", sReq);
    return tup;
};

var __TestApp_Hello$testHello$PD = function (data) {
    try {
        var tup = data.response.tup;
        return {
            "request" : data.request,
            "response" : {
                "costtime" : data.request.costtime,
                "return" : tup.readInt32("", 0),
                "arguments" : {
                    "sRsp" : tup.readString("sRsp")
                }
            }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};

var __TestApp_Hello$testHello$ER = function (data) {
    throw _makeError(data, "Call Hello::testHello failed");
};

TestApp.HelloProxy.prototype.testHello = function (sReq) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("testHello", __TestApp_Hello$testHello$PE(sReq, version), arguments[arguments.length - 1], __TestApp_Hello$testHello$IF).then(__TestApp_Hello$testHello$PD, __TestApp_Hello$testHello$ER);
    } else {
        return this._worker.tars_invoke("testHello", __TestApp_Hello$testHello$IE(sReq), arguments[arguments.length - 1], __TestApp_Hello$testHello$IF).then(__TestApp_Hello$testHello$ID, __TestApp_Hello$testHello$ER);
    }
};
TestApp.HelloProxy.testHello = __TestApp_Hello$testHello$IF;
