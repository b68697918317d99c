//! The messages of SkyWalking's segment report (`skywalking.v3`, `language-agent/Tracing.proto`
//! and `common/Common.proto` of skywalking-data-collect-protocol, Apache-2.0), as prost-build
//! 0.14 generates them from those files; only what a segment report sends and receives.
//! Tag numbers and types are the protocol's: the OAP decodes these bytes.

/// `KeyStringValuePair`: a tag, or a field of a log.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct KeyStringValuePair {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `Commands`: what the OAP answers a report with.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Commands {
    /// The commands (none for a plain report).
    #[prost(message, repeated, tag = "1")]
    pub commands: Vec<Command>,
}

/// `Command`: one command from the OAP (tars-rs acts on none).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Command {
    /// Its name.
    #[prost(string, tag = "1")]
    pub command: String,
    /// Its arguments.
    #[prost(message, repeated, tag = "2")]
    pub args: Vec<KeyStringValuePair>,
}

/// `SegmentObject`: the spans of one trace in one process.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SegmentObject {
    /// The trace.
    #[prost(string, tag = "1")]
    pub trace_id: String,
    /// This segment.
    #[prost(string, tag = "2")]
    pub trace_segment_id: String,
    /// Its spans.
    #[prost(message, repeated, tag = "3")]
    pub spans: Vec<SpanObject>,
    /// The service.
    #[prost(string, tag = "4")]
    pub service: String,
    /// The service instance.
    #[prost(string, tag = "5")]
    pub service_instance: String,
    /// Whether spans were left out for size.
    #[prost(bool, tag = "6")]
    pub is_size_limited: bool,
}

/// `SegmentReference`: the parent of a segment in another process (or thread).
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct SegmentReference {
    /// [`RefType`].
    #[prost(enumeration = "RefType", tag = "1")]
    pub ref_type: i32,
    /// The trace.
    #[prost(string, tag = "2")]
    pub trace_id: String,
    /// The parent segment.
    #[prost(string, tag = "3")]
    pub parent_trace_segment_id: String,
    /// The parent's exit span.
    #[prost(int32, tag = "4")]
    pub parent_span_id: i32,
    /// The parent's service.
    #[prost(string, tag = "5")]
    pub parent_service: String,
    /// The parent's service instance.
    #[prost(string, tag = "6")]
    pub parent_service_instance: String,
    /// The operation of the parent segment's first span.
    #[prost(string, tag = "7")]
    pub parent_endpoint: String,
    /// The address the parent called this service at.
    #[prost(string, tag = "8")]
    pub network_address_used_at_peer: String,
}

/// `SpanObject`: one span of a segment.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SpanObject {
    /// Its id in the segment (the first is 0).
    #[prost(int32, tag = "1")]
    pub span_id: i32,
    /// Its parent's id in the segment (-1 for the first).
    #[prost(int32, tag = "2")]
    pub parent_span_id: i32,
    /// Start, in milliseconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    pub start_time: i64,
    /// End, in milliseconds since the Unix epoch.
    #[prost(int64, tag = "4")]
    pub end_time: i64,
    /// The segment's parents (on its first span).
    #[prost(message, repeated, tag = "5")]
    pub refs: Vec<SegmentReference>,
    /// The operation (the endpoint, for an entry span).
    #[prost(string, tag = "6")]
    pub operation_name: String,
    /// The remote address (`host:port`).
    #[prost(string, tag = "7")]
    pub peer: String,
    /// [`SpanType`].
    #[prost(enumeration = "SpanType", tag = "8")]
    pub span_type: i32,
    /// [`SpanLayer`].
    #[prost(enumeration = "SpanLayer", tag = "9")]
    pub span_layer: i32,
    /// The library, by its id in the OAP's `component-libraries.yml`.
    #[prost(int32, tag = "10")]
    pub component_id: i32,
    /// Whether it failed.
    #[prost(bool, tag = "11")]
    pub is_error: bool,
    /// Its tags.
    #[prost(message, repeated, tag = "12")]
    pub tags: Vec<KeyStringValuePair>,
    /// Its logs.
    #[prost(message, repeated, tag = "13")]
    pub logs: Vec<Log>,
    /// Whether the OAP leaves it out of its analysis.
    #[prost(bool, tag = "14")]
    pub skip_analysis: bool,
}

/// `Log`: timed fields on a span.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Log {
    /// When, in milliseconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub time: i64,
    /// Its fields.
    #[prost(message, repeated, tag = "2")]
    pub data: Vec<KeyStringValuePair>,
}

/// `SpanType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum SpanType {
    /// A request served.
    Entry = 0,
    /// A call made.
    Exit = 1,
    /// Work within the process.
    Local = 2,
}

/// `RefType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum RefType {
    /// The parent is in another process.
    CrossProcess = 0,
    /// The parent is in another thread of this process.
    CrossThread = 1,
}

/// `SpanLayer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum SpanLayer {
    /// Unknown.
    Unknown = 0,
    /// A database.
    Database = 1,
    /// An RPC framework (`RPCFramework`): TARS.
    RpcFramework = 2,
    /// HTTP.
    Http = 3,
    /// A message queue.
    Mq = 4,
    /// A cache.
    Cache = 5,
    /// Functions as a service.
    Faas = 6,
}
