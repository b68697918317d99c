//! A server as a citizen of the TARS framework, against doubles of its services.

mod citizen;
mod reporting;
mod tarsnode;
