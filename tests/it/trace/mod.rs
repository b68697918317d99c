//! What a request passes on to the calls its servant makes: trace, dye, deadline.

mod chain;
mod propagation;
