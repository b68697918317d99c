//! Properties for tarsproperty: named values a service reports (a queue length, a cache hit,
//! a latency), each aggregated by one or more [`Policy`]s over the report interval and sent
//! with `PropertyF.reportPropMsg`.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::Arc;

use super::idl::StatPropInfo;

/// How a property's values are summed up over an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// The sum of the values.
    Sum,
    /// Their mean.
    Avg,
    /// How many fell in each range: a value counts for the first bound it does not exceed,
    /// and above the last bound for the last (TarsGo's rule). Sent as `0|3,10|5`.
    Distr(Vec<i64>),
    /// The largest.
    Max,
    /// The smallest non-zero value.
    Min,
    /// How many values were reported.
    Count,
}

impl Policy {
    /// The name tarsproperty knows the policy by.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Sum => "Sum",
            Policy::Avg => "Avg",
            Policy::Distr(_) => "Distr",
            Policy::Max => "Max",
            Policy::Min => "Min",
            Policy::Count => "Count",
        }
    }
}

/// What TarsGo starts `Max` from (and skips when nothing raised it).
const MAX_UNSET: i64 = -9_999_999;

/// One policy's running state, with TarsGo's arithmetic, in atomics: reporting a value is
/// a few atomic operations, with no lock shared by the threads that report.
#[derive(Debug)]
enum Acc {
    Sum(AtomicI64),
    Avg { sum: AtomicI64, count: AtomicI64 },
    Distr { bounds: Vec<i64>, counts: Vec<AtomicI64> },
    Max(AtomicI64),
    Min(AtomicI64),
    Count(AtomicI64),
}

impl Acc {
    fn new(policy: &Policy) -> Acc {
        match policy {
            Policy::Sum => Acc::Sum(AtomicI64::new(0)),
            Policy::Avg => Acc::Avg {
                sum: AtomicI64::new(0),
                count: AtomicI64::new(0),
            },
            Policy::Distr(bounds) => {
                let mut bounds = bounds.clone();
                bounds.sort_unstable();
                bounds.dedup();
                Acc::Distr {
                    counts: bounds.iter().map(|_| AtomicI64::new(0)).collect(),
                    bounds,
                }
            }
            Policy::Max => Acc::Max(AtomicI64::new(MAX_UNSET)),
            Policy::Min => Acc::Min(AtomicI64::new(0)),
            Policy::Count => Acc::Count(AtomicI64::new(0)),
        }
    }

    fn add(&self, v: i64) {
        match self {
            Acc::Sum(s) => {
                s.fetch_add(v, Relaxed);
            }
            Acc::Avg { sum, count } => {
                sum.fetch_add(v, Relaxed);
                count.fetch_add(1, Relaxed);
            }
            // The first bound the value does not exceed; above every bound, the last.
            Acc::Distr { bounds, counts } => {
                if !bounds.is_empty() {
                    let i = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len() - 1);
                    counts[i].fetch_add(1, Relaxed);
                }
            }
            Acc::Max(m) => {
                m.fetch_max(v, Relaxed);
            }
            // The smallest non-zero value (TarsGo and TarsCpp both ignore zeros).
            Acc::Min(m) => {
                if v != 0 {
                    let _ = m.fetch_update(Relaxed, Relaxed, |cur| (cur == 0 || v < cur).then_some(v));
                }
            }
            Acc::Count(c) => {
                c.fetch_add(1, Relaxed);
            }
        }
    }

    /// The interval's value as tarsproperty reads it (`None` when TarsGo leaves it out:
    /// zero sums, averages, minimums and counts, and a `Max` nothing raised), and a fresh
    /// state.
    fn take(&self) -> Option<String> {
        match self {
            Acc::Sum(s) | Acc::Min(s) | Acc::Count(s) => {
                let v = s.swap(0, Relaxed);
                (v != 0).then(|| v.to_string())
            }
            // Go's shortest round-trip float (`strconv.FormatFloat(v, 'f', -1, 64)`), which
            // Rust's `Display` for f64 writes the same: 2.5, 3, 3.3333333333333335.
            Acc::Avg { sum, count } => {
                let (sum, count) = (sum.swap(0, Relaxed), count.swap(0, Relaxed));
                (count != 0 && sum != 0).then(|| (sum as f64 / count as f64).to_string())
            }
            Acc::Distr { bounds, counts } => Some(
                bounds
                    .iter()
                    .zip(counts.iter())
                    .map(|(b, n)| format!("{b}|{}", n.swap(0, Relaxed)))
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .filter(|s| !s.is_empty()),
            Acc::Max(m) => {
                let v = m.swap(MAX_UNSET, Relaxed);
                (v != MAX_UNSET).then(|| v.to_string())
            }
        }
    }
}

pub(crate) struct PropertyState {
    pub(crate) name: String,
    policies: Vec<Policy>,
    accs: Vec<Acc>,
    reported: AtomicBool,
}

impl PropertyState {
    pub(crate) fn new(name: String, policies: Vec<Policy>) -> Self {
        let accs = policies.iter().map(Acc::new).collect();
        PropertyState {
            name,
            policies,
            accs,
            reported: AtomicBool::new(false),
        }
    }

    /// The interval's values, in the order the policies were given, or `None` when
    /// nothing was reported in it.
    pub(crate) fn take(&self) -> Option<Vec<StatPropInfo>> {
        if !self.reported.swap(false, Relaxed) {
            return None;
        }
        Some(
            self.policies
                .iter()
                .zip(self.accs.iter())
                .filter_map(|(p, a)| {
                    a.take().map(|value| StatPropInfo {
                        policy: p.name().into(),
                        value,
                    })
                })
                .collect(),
        )
    }
}

/// A property to report values to (see
/// [`Platform::property`](super::Platform::property)). Cheap to clone.
#[derive(Clone)]
pub struct Property {
    pub(crate) state: Arc<PropertyState>,
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Property")
            .field("name", &self.state.name)
            .field("policies", &self.state.policies)
            .finish()
    }
}

impl Property {
    /// A property that reports nowhere (a communicator without a `property` object).
    pub(crate) fn detached(name: &str, policies: &[Policy]) -> Self {
        Property {
            state: Arc::new(PropertyState::new(name.to_string(), policies.to_vec())),
        }
    }

    /// The property's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Reports one value.
    pub fn report(&self, value: i64) {
        for a in &self.state.accs {
            a.add(value);
        }
        if !self.state.reported.load(Relaxed) {
            self.state.reported.store(true, Relaxed);
        }
    }
}
