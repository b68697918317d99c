//! Call statistics for tarsstat: every call a client makes and every request a server serves
//! is counted under its [`StatMicMsgHead`] (who called whom, which function, which return
//! code) and sent with `StatF.reportMicMsg` once per report interval.
//!
//! Recording is on the hot path of every call, so it allocates only the first time a head is
//! seen in an interval: the head is looked up by a hash of its parts and compared field by
//! field. Calls are recorded into per-thread shards (no lock shared between worker threads
//! in the common case), merged when the interval ends. The number of distinct heads per
//! interval is capped: beyond it, calls are counted as dropped and reported in the log.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::idl::{StatMicMsgBody, StatMicMsgHead};

/// The response-time buckets (ms) tarsstat charts. As TarsGo and TarsCpp count them, a
/// call goes into the first bucket greater than its time (7 ms into 10, 10 ms into 50), and
/// a call of 3000 ms or more into none.
pub const TIME_BUCKETS_MS: [i32; 9] = [5, 10, 50, 100, 200, 500, 1000, 2000, 3000];

/// How many distinct heads one interval keeps, by default.
pub const DEFAULT_MAX_HEADS: usize = 20_000;

/// How a call ended, as tarsstat counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered (whatever the servant's own return value).
    Success,
    /// No answer in time (-7 at a client, -6 at a server).
    Timeout,
    /// Failed otherwise (a TARS error code).
    Exception,
}

/// One call to count: the parts of its head, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StatPoint<'a> {
    /// `masterName`: who called.
    pub master_name: &'a str,
    /// `slaveName`: who was called.
    pub slave_name: &'a str,
    /// `interfaceName`: the function.
    pub interface_name: &'a str,
    /// `masterIp`.
    pub master_ip: &'a str,
    /// `slaveIp`.
    pub slave_ip: &'a str,
    /// `slavePort`.
    pub slave_port: i32,
    /// `returnValue`.
    pub return_value: i32,
    /// `slaveSetName`, `slaveSetArea`, `slaveSetID`: the callee's set, when it has one.
    pub slave_set: Option<(&'a str, &'a str, &'a str)>,
}

impl<'a> StatPoint<'a> {
    /// A call to `slave_name`'s `interface_name` that returned 0, from this process (the
    /// reporter fills in an empty master name and IP with its own), to no address or set.
    pub fn new(slave_name: &'a str, interface_name: &'a str) -> Self {
        StatPoint {
            master_name: "",
            slave_name,
            interface_name,
            master_ip: "",
            slave_ip: "",
            slave_port: 0,
            return_value: 0,
            slave_set: None,
        }
    }

    /// Who called: `masterName` and `masterIp`.
    pub fn master(mut self, name: &'a str, ip: &'a str) -> Self {
        self.master_name = name;
        self.master_ip = ip;
        self
    }

    /// Where the callee is: `slaveIp` and `slavePort`.
    pub fn slave_address(mut self, ip: &'a str, port: i32) -> Self {
        self.slave_ip = ip;
        self.slave_port = port;
        self
    }

    /// The callee's return value.
    pub fn return_value(mut self, value: i32) -> Self {
        self.return_value = value;
        self
    }

    /// The callee's set: name, area and group.
    pub fn slave_set(mut self, name: &'a str, area: &'a str, group: &'a str) -> Self {
        self.slave_set = Some((name, area, group));
        self
    }
}

impl StatPoint<'_> {
    fn hash(&self) -> u64 {
        let mut h = FxHasher::default();
        for s in [
            self.master_name,
            self.slave_name,
            self.interface_name,
            self.master_ip,
            self.slave_ip,
        ] {
            h.write(s.as_bytes());
            h.write_u8(0xff);
        }
        h.write_u32(self.slave_port as u32);
        h.write_u32(self.return_value as u32);
        if let Some((n, a, i)) = self.slave_set {
            for s in [n, a, i] {
                h.write(s.as_bytes());
                h.write_u8(0xff);
            }
        }
        h.finish()
    }

    fn matches(&self, head: &StatMicMsgHead) -> bool {
        let (n, a, i) = self.slave_set.unwrap_or(("", "", ""));
        head.slave_port == self.slave_port
            && head.return_value == self.return_value
            && same(&head.interface_name, self.interface_name)
            && same(&head.slave_ip, self.slave_ip)
            && same(&head.master_ip, self.master_ip)
            && same(&head.slave_name, self.slave_name)
            && same(&head.master_name, self.master_name)
            && same(&head.slave_set_name, n)
            && same(&head.slave_set_area, a)
            && same(&head.slave_set_id, i)
    }

    fn to_head(self, tars_version: &str) -> StatMicMsgHead {
        let (n, a, i) = self.slave_set.unwrap_or(("", "", ""));
        StatMicMsgHead {
            master_name: self.master_name.into(),
            slave_name: self.slave_name.into(),
            interface_name: self.interface_name.into(),
            master_ip: self.master_ip.into(),
            slave_ip: self.slave_ip.into(),
            slave_port: self.slave_port,
            return_value: self.return_value,
            slave_set_name: n.into(),
            slave_set_area: a.into(),
            slave_set_id: i.into(),
            tars_version: tars_version.into(),
        }
    }
}

/// String equality that does not call `memcmp` for empty strings: an empty `String`'s
/// pointer is dangling, and glibc's AVX-512 `memcmp` reads it with a masked load, which on
/// AMD Zen 4 takes a microcode assist costing ~100 ns. (Measured: 365 ns per record with
/// `==`, most of it in those loads; the heads have up to five empty fields.)
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// The body of a head no call has touched yet.
fn empty_body() -> StatMicMsgBody {
    StatMicMsgBody {
        count: 0,
        timeout_count: 0,
        exec_count: 0,
        interval_count: TIME_BUCKETS_MS.iter().map(|b| (*b, 0)).collect(),
        total_rsp_time: 0,
        max_rsp_time: 0,
        min_rsp_time: 0,
    }
}

/// Counts one call into `body`.
pub(crate) fn count(body: &mut StatMicMsgBody, outcome: Outcome, elapsed: Duration) {
    let ms = i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX);
    match outcome {
        Outcome::Success => body.count += 1,
        Outcome::Timeout => body.timeout_count += 1,
        Outcome::Exception => body.exec_count += 1,
    }
    if let Some(bucket) = TIME_BUCKETS_MS.iter().find(|b| ms < **b) {
        *body.interval_count.entry(*bucket).or_insert(0) += 1;
    }
    body.total_rsp_time += i64::from(ms);
    let first = body.count + body.timeout_count + body.exec_count == 1;
    body.max_rsp_time = if first { ms } else { body.max_rsp_time.max(ms) };
    body.min_rsp_time = if first { ms } else { body.min_rsp_time.min(ms) };
}

/// Adds `other` (the same head's counts from another shard) into `body`.
pub(crate) fn merge(body: &mut StatMicMsgBody, other: StatMicMsgBody) {
    let before = body.count + body.timeout_count + body.exec_count;
    let added = other.count + other.timeout_count + other.exec_count;
    body.count += other.count;
    body.timeout_count += other.timeout_count;
    body.exec_count += other.exec_count;
    for (bucket, n) in other.interval_count {
        *body.interval_count.entry(bucket).or_insert(0) += n;
    }
    body.total_rsp_time += other.total_rsp_time;
    if added > 0 {
        body.max_rsp_time = if before == 0 {
            other.max_rsp_time
        } else {
            body.max_rsp_time.max(other.max_rsp_time)
        };
        body.min_rsp_time = if before == 0 {
            other.min_rsp_time
        } else {
            body.min_rsp_time.min(other.min_rsp_time)
        };
    }
}

#[derive(Default)]
struct Shard {
    /// Head hash → the heads with that hash (almost always one).
    heads: HashMap<u64, Vec<(StatMicMsgHead, StatMicMsgBody)>, BuildHasherDefault<IdentityHasher>>,
}

/// The counts of one report interval, for one direction (client calls or served requests).
pub struct StatCollector {
    shards: Box<[Mutex<Shard>]>,
    tars_version: String,
    heads: AtomicUsize,
    max_heads: usize,
    dropped: AtomicU64,
}

impl StatCollector {
    /// A collector writing `tars_version` into every head, keeping at most `max_heads`
    /// distinct heads per interval.
    pub fn new(tars_version: impl Into<String>, max_heads: usize) -> Self {
        let n = std::thread::available_parallelism()
            .map_or(4, |n| n.get())
            .next_power_of_two()
            * 2;
        StatCollector {
            shards: (0..n).map(|_| Mutex::default()).collect(),
            tars_version: tars_version.into(),
            heads: AtomicUsize::new(0),
            max_heads,
            dropped: AtomicU64::new(0),
        }
    }

    /// Counts one call.
    pub fn record(&self, point: StatPoint<'_>, outcome: Outcome, elapsed: Duration) {
        let hash = point.hash();
        let mut shard = crate::sync::lock(&self.shards[shard_index() & (self.shards.len() - 1)]);
        let same_hash = shard.heads.entry(hash).or_default();
        if let Some((_, body)) = same_hash.iter_mut().find(|(h, _)| point.matches(h)) {
            count(body, outcome, elapsed);
            return;
        }
        // A head new to this shard: within the cap (counted across shards, approximately:
        // the same head in two shards counts twice, which only makes the cap stricter).
        if self.heads.fetch_add(1, Ordering::Relaxed) >= self.max_heads {
            self.heads.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            if same_hash.is_empty() {
                shard.heads.remove(&hash);
            }
            return;
        }
        let mut body = empty_body();
        count(&mut body, outcome, elapsed);
        same_hash.push((point.to_head(&self.tars_version), body));
    }

    /// Takes the interval's counts (and how many calls the cap dropped), starting a new one.
    pub fn take(&self) -> (BTreeMap<StatMicMsgHead, StatMicMsgBody>, u64) {
        let mut all: BTreeMap<StatMicMsgHead, StatMicMsgBody> = BTreeMap::new();
        for shard in self.shards.iter() {
            let heads = std::mem::take(&mut crate::sync::lock(shard).heads);
            for (head, body) in heads.into_values().flatten() {
                match all.get_mut(&head) {
                    Some(b) => merge(b, body),
                    None => {
                        all.insert(head, body);
                    }
                }
            }
        }
        self.heads.store(0, Ordering::Relaxed);
        (all, self.dropped.swap(0, Ordering::Relaxed))
    }
}

/// This thread's shard: threads take turns, so a runtime's workers spread over the shards.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    INDEX.with(|i| *i)
}

/// rustc's FxHash: fast on short keys, and the keys are not chosen by an attacker (names
/// and addresses of the process's own calls).
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// For maps keyed by a hash already computed.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(ret: i32) -> StatPoint<'static> {
        StatPoint {
            master_name: "A.B",
            slave_name: "C.D",
            interface_name: "f",
            master_ip: "1.1.1.1",
            slave_ip: "2.2.2.2",
            slave_port: 80,
            return_value: ret,
            slave_set: None,
        }
    }

    #[test]
    fn buckets_take_the_first_point_above_the_time_and_none_from_3000_ms() {
        let mut body = empty_body();
        for ms in [4, 5, 7, 10, 2999, 3000, 10_000] {
            count(&mut body, Outcome::Success, Duration::from_millis(ms));
        }
        let got: Vec<(i32, i32)> = body.interval_count.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            got,
            vec![
                (5, 1),
                (10, 2),
                (50, 1),
                (100, 0),
                (200, 0),
                (500, 0),
                (1000, 0),
                (2000, 0),
                (3000, 1)
            ]
        );
        assert_eq!((body.count, body.max_rsp_time, body.min_rsp_time), (7, 10_000, 4));
    }

    #[test]
    fn shards_merge_and_the_head_cap_drops_new_heads_only() {
        // The same head in two shards counts twice against the cap.
        let c = StatCollector::new("v", 3);
        c.record(point(0), Outcome::Success, Duration::from_millis(3));
        std::thread::scope(|s| {
            s.spawn(|| c.record(point(0), Outcome::Timeout, Duration::from_millis(8)));
        });
        c.record(point(1), Outcome::Exception, Duration::from_millis(1));
        c.record(point(2), Outcome::Exception, Duration::from_millis(1));
        let (heads, dropped) = c.take();
        assert_eq!(dropped, 1);
        let body = &heads[&point(0).to_head("v")];
        assert_eq!((body.count, body.timeout_count, body.total_rsp_time), (1, 1, 11));
        assert_eq!((body.max_rsp_time, body.min_rsp_time), (8, 3));
        assert_eq!(heads.len(), 2);
        assert!(c.take().0.is_empty());
    }
}
