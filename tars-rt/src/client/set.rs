//! Set division on the wire: a caller that runs in a set (`enableset=Y`,
//! `setdivision=name.area.group`, or a proxy's `with_set`) looks its targets up within the
//! set and names the set in each request, as TarsGo and TarsCpp do.

use std::collections::BTreeMap;

use crate::protocol::STATUS_SETNAME_VALUE;
use crate::protocol::TARSMESSAGETYPESETNAME;

/// Names `set` in a request's `status` and returns the message-type flag to add.
pub(crate) fn mark(status: &mut BTreeMap<String, String>, set: &str) -> i32 {
    status.insert(STATUS_SETNAME_VALUE.to_string(), set.to_string());
    TARSMESSAGETYPESETNAME
}
