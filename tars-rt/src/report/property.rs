//! Properties for tarsproperty: named values a service reports (a queue length, a cache hit,
//! a latency), each aggregated by one or more [`Policy`]s over the report interval and sent
//! with `PropertyF.reportPropMsg`.

use std::sync::{Arc, Mutex};

use crate::protocol::framework::StatPropInfo;

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

/// One policy's running state, with TarsGo's arithmetic.
#[derive(Debug, Clone)]
enum Acc {
    Sum(i64),
    Avg { sum: i64, count: i64 },
    Distr { bounds: Vec<i64>, counts: Vec<i64> },
    Max(i64),
    Min(i64),
    Count(i64),
}

impl Acc {
    fn new(policy: &Policy) -> Acc {
        match policy {
            Policy::Sum => Acc::Sum(0),
            Policy::Avg => Acc::Avg { sum: 0, count: 0 },
            Policy::Distr(bounds) => {
                let mut bounds = bounds.clone();
                bounds.sort_unstable();
                bounds.dedup();
                Acc::Distr {
                    counts: vec![0; bounds.len()],
                    bounds,
                }
            }
            Policy::Max => Acc::Max(MAX_UNSET),
            Policy::Min => Acc::Min(0),
            Policy::Count => Acc::Count(0),
        }
    }

    fn add(&mut self, v: i64) {
        match self {
            Acc::Sum(s) => *s = s.saturating_add(v),
            Acc::Avg { sum, count } => {
                *sum = sum.saturating_add(v);
                *count += 1;
            }
            // The first bound the value does not exceed; above every bound, the last.
            Acc::Distr { bounds, counts } => {
                if !bounds.is_empty() {
                    let i = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len() - 1);
                    counts[i] += 1;
                }
            }
            Acc::Max(m) => *m = (*m).max(v),
            // The smallest non-zero value (TarsGo and TarsCpp both ignore zeros).
            Acc::Min(m) => {
                if *m == 0 || (v != 0 && v < *m) {
                    *m = v;
                }
            }
            Acc::Count(c) => *c += 1,
        }
    }

    /// The interval's value as tarsproperty reads it (`None` when TarsGo leaves it out:
    /// zero sums, averages, minimums and counts, and a `Max` nothing raised), and a fresh
    /// state.
    fn take(&mut self) -> Option<String> {
        let value = match self {
            Acc::Sum(s) | Acc::Min(s) | Acc::Count(s) => (*s != 0).then(|| s.to_string()),
            // Go's shortest round-trip float (`strconv.FormatFloat(v, 'f', -1, 64)`), which
            // Rust's `Display` for f64 writes the same: 2.5, 3, 3.3333333333333335.
            Acc::Avg { sum, count } => (*count != 0 && *sum != 0).then(|| (*sum as f64 / *count as f64).to_string()),
            Acc::Distr { bounds, counts } => Some(
                bounds
                    .iter()
                    .zip(counts.iter())
                    .map(|(b, n)| format!("{b}|{n}"))
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .filter(|s| !s.is_empty()),
            Acc::Max(m) => (*m != MAX_UNSET).then(|| m.to_string()),
        };
        self.reset();
        value
    }

    fn reset(&mut self) {
        match self {
            Acc::Sum(s) | Acc::Min(s) | Acc::Count(s) => *s = 0,
            Acc::Avg { sum, count } => {
                *sum = 0;
                *count = 0;
            }
            Acc::Distr { counts, .. } => counts.iter_mut().for_each(|c| *c = 0),
            Acc::Max(m) => *m = MAX_UNSET,
        }
    }
}

pub(crate) struct PropertyState {
    pub(crate) name: String,
    policies: Vec<Policy>,
    accs: Mutex<(Vec<Acc>, bool)>,
}

impl PropertyState {
    pub(crate) fn new(name: String, policies: Vec<Policy>) -> Self {
        let accs = policies.iter().map(Acc::new).collect();
        PropertyState {
            name,
            policies,
            accs: Mutex::new((accs, false)),
        }
    }

    /// The interval's values, one per policy in the order they were given, or `None` when
    /// nothing was reported in it.
    pub(crate) fn take(&self) -> Option<Vec<StatPropInfo>> {
        let mut accs = self.accs.lock().unwrap_or_else(|e| e.into_inner());
        if !std::mem::take(&mut accs.1) {
            return None;
        }
        Some(
            self.policies
                .iter()
                .zip(accs.0.iter_mut())
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
/// [`Communicator::property`](crate::client::Communicator::property)). Cheap to clone.
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
        let mut accs = self.state.accs.lock().unwrap_or_else(|e| e.into_inner());
        for a in accs.0.iter_mut() {
            a.add(value);
        }
        accs.1 = true;
    }
}
